//! Stage workers: claim a job with a lease, run its stage while renewing the lease,
//! commit the outcome with the next job, or record the failure (retry or park).
use super::Shared;
use super::stages::{Carry, StageFailure};
use papyr_store::StoreError;
use papyr_store::jobs::Failure;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tracing::Instrument;

/// Shutdown phases: `0` running, `1` stop claiming, `2` release in-flight jobs.
pub type Phase = watch::Receiver<u8>;

pub async fn run(shared: Arc<Shared>, n: usize, mut phase: Phase) {
    let me = format!("{}-w{n}", shared.worker_prefix);
    let lease = Duration::from_secs(shared.cfg.workers.lease_secs);
    let poll = Duration::from_millis(shared.cfg.workers.poll_ms);
    let mut db_down_logged = false;
    while *phase.borrow() == 0 {
        let job = match shared.db.claim(&me, lease).await {
            Ok(Some(job)) => {
                db_down_logged = false;
                job
            }
            Ok(None) => {
                tokio::select! {
                    _ = tokio::time::sleep(poll) => {}
                    _ = phase.changed() => {}
                }
                continue;
            }
            Err(e) => {
                if !db_down_logged {
                    tracing::warn!(worker = %me, error = %e, "cannot claim jobs; retrying until the database answers");
                    db_down_logged = true;
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = phase.changed() => {}
                }
                continue;
            }
        };
        // Run the job and, while this worker holds them, the document's next stages.
        let mut next: Option<(papyr_store::Job, Option<Box<Carry>>)> = Some((job, None));
        while let Some((job, carry)) = next.take() {
            if *phase.borrow() != 0 {
                let _ = shared.db.release(&job, &me).await;
                break;
            }
            let span = tracing::info_span!("stage", tenant = %job.tenant_id, document = %job.document_id, stage = %job.stage, attempt = job.attempt);
            match handle(&shared, &me, job, carry, lease, &mut phase)
                .instrument(span)
                .await
            {
                Handled::Next(job) => next = job,
                Handled::Released => return,
            }
        }
    }
}

enum Handled {
    /// Done with the job; continue with this chained job (and what the finished stage
    /// handed over), if any.
    Next(Option<(papyr_store::Job, Option<Box<Carry>>)>),
    /// Shutdown released the job.
    Released,
}

/// Run one claimed job to its end.
async fn handle(
    shared: &Arc<Shared>,
    me: &str,
    job: papyr_store::Job,
    carry: Option<Box<Carry>>,
    lease: Duration,
    phase: &mut Phase,
) -> Handled {
    {
        let started = Instant::now();
        let work = {
            let shared = shared.clone();
            let job = job.clone();
            tokio::spawn(
                async move { shared.run_stage(&job, carry.map(|c| *c)).await }.in_current_span(),
            )
        };
        tokio::pin!(work);
        let mut renew = tokio::time::interval(lease / 3);
        renew.tick().await;
        let result = loop {
            tokio::select! {
                r = &mut work => break Some(r),
                _ = renew.tick() => {
                    match shared.db.renew(&job, me, lease).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!("lease lost while working; the result will be discarded"),
                        Err(e) => tracing::warn!(error = %e, "cannot renew the lease"),
                    }
                }
                _ = phase.changed(), if *phase.borrow() >= 2 => break None,
            }
        };
        let Some(result) = result else {
            // Out of grace time: hand the job back for another worker or process.
            if let Err(e) = shared.db.release(&job, me).await {
                tracing::warn!(error = %e, "cannot release the job on shutdown; its lease will expire");
            }
            tracing::info!("released in-flight job on shutdown");
            return Handled::Released;
        };
        let result = result.unwrap_or_else(|e| {
            Err(StageFailure::Transient(anyhow::anyhow!(
                "stage task failed: {e}"
            )))
        });
        match result {
            Ok((outcome, carry)) => {
                let final_status = outcome.next_stage.is_none().then(|| outcome.status.clone());
                match shared.db.complete(&job, me, &outcome, Some(lease)).await {
                    Ok(done) => {
                        if let papyr_store::Completion::Continue(next) = done {
                            shared.metrics.stage_done(&job.stage, started.elapsed());
                            return Handled::Next(Some((next, carry.map(Box::new))));
                        }
                        shared.metrics.stage_done(&job.stage, started.elapsed());
                        if final_status.is_some() {
                            // One line per finished document: what it was and what became of it.
                            let doc = shared
                                .db
                                .document(&job.tenant_id, &job.document_id)
                                .await
                                .ok()
                                .flatten();
                            let status = doc
                                .as_ref()
                                .map_or("done".to_string(), |d| d.status.clone());
                            shared.metrics.document_final(&status);
                            if let Some(d) = doc {
                                let since_intake_ms =
                                    (papyr_store::now_ms() - d.received_at).max(0);
                                tracing::info!(
                                    file = %d.filename,
                                    kind = d.kind.as_deref().unwrap_or("?"),
                                    status = %status,
                                    risk = d.risk_score.unwrap_or(0),
                                    since_intake_ms,
                                    "document done"
                                );
                            }
                        }
                    }
                    Err(StoreError::LeaseLost(_)) => {
                        shared.metrics.stage_failed(&job.stage, "lease-lost");
                        tracing::warn!("lease lost before commit; another worker owns the job");
                    }
                    Err(e) => {
                        shared.metrics.stage_failed(&job.stage, "retry");
                        tracing::warn!(error = %e, "cannot commit the stage; it will be retried");
                        let _ = shared
                            .db
                            .fail(&job, me, &format!("commit failed: {e}"), true)
                            .await;
                    }
                }
            }
            Err(failure) => {
                let (msg, retryable) = match &failure {
                    StageFailure::Permanent(m) => (m.clone(), false),
                    StageFailure::Transient(e) => (format!("{e:#}"), true),
                };
                match shared.db.fail(&job, me, &msg, retryable).await {
                    Ok(Failure::Retry { after }) => {
                        shared.metrics.stage_failed(&job.stage, "retry");
                        tracing::warn!(error = %msg, retry_in_ms = after.as_millis() as u64, "stage failed; will retry");
                    }
                    Ok(Failure::Parked) => {
                        shared.metrics.stage_failed(&job.stage, "parked");
                        shared.metrics.document_final("failed");
                        tracing::warn!(error = %msg, "document parked as failed");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot record the failure; the lease will expire and the job run again")
                    }
                }
            }
        }
    }
    Handled::Next(None)
}
