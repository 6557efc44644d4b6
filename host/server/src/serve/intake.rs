//! The watch folder: files in `<watch>/<tenant-slug>/` are taken in for that tenant,
//! files directly in `<watch>` for the demo tenant. A file is stored in object
//! storage, then recorded (with its first job) in one transaction, then moved to
//! `<watch>/.processed/`. Anything that fails leaves the file where it is, to be
//! tried again: nothing is lost. The same file or email message twice is linked to
//! the first, not processed again.
use super::Shared;
use anyhow::{Context, Result};
use papyr_runtime::convert::{self, OriginFile};
use papyr_store::{Intake, NewDocument};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Files younger than this may still be being written.
const SETTLE: Duration = Duration::from_millis(500);

pub async fn run(shared: Arc<Shared>, mut phase: super::worker::Phase) {
    let poll = Duration::from_millis(shared.cfg.intake.poll_ms);
    let mut last_error: Option<String> = None;
    while *phase.borrow() == 0 {
        match scan(&shared).await {
            Ok(_) => last_error = None,
            Err(e) => {
                let msg = format!("{e:#}");
                if last_error.as_deref() != Some(&msg) {
                    tracing::warn!(error = %msg, "watch-folder intake failed; the files stay and are retried");
                    last_error = Some(msg);
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = phase.changed() => {}
        }
    }
}

pub(super) fn is_candidate(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(convert::is_document_name)
}

/// One pass over the watch folder; returns how many files were taken in.
pub async fn scan(shared: &Arc<Shared>) -> Result<usize> {
    let root = shared.cfg.watch_dir();
    let mut batches: Vec<(String, Vec<PathBuf>)> = Vec::new();
    let mut top = Vec::new();
    let mut dir = tokio::fs::read_dir(&root)
        .await
        .with_context(|| format!("cannot list the watch folder {}", root.display()))?;
    while let Some(e) = dir.next_entry().await? {
        let path = e.path();
        let ft = e.file_type().await?;
        if ft.is_dir() {
            let slug = e.file_name().to_string_lossy().into_owned();
            if slug.starts_with('.') {
                continue;
            }
            let mut files = Vec::new();
            let mut sub = tokio::fs::read_dir(&path).await?;
            while let Some(f) = sub.next_entry().await? {
                if f.file_type().await?.is_file() && is_candidate(&f.path()) {
                    files.push(f.path());
                }
            }
            batches.push((slug, files));
        } else if ft.is_file() && is_candidate(&path) {
            top.push(path);
        }
    }
    batches.push((shared.cfg.demo.tenant.clone(), top));
    let mut n = 0;
    for (slug, mut files) in batches {
        files.sort();
        if files.is_empty() {
            continue;
        }
        let tenant_id = shared.db.ensure_tenant(&slug, &slug, "{}").await?;
        let settled: Vec<PathBuf> = files
            .into_iter()
            .filter(|p| {
                !std::fs::metadata(p)
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| SystemTime::now().duration_since(t).unwrap_or_default() < SETTLE)
            })
            .collect();
        // Storing the bytes (with fsync) dominates: do a few files at once, then
        // record them in name order.
        for chunk in settled.chunks(8) {
            let mut set = tokio::task::JoinSet::new();
            for (i, path) in chunk.iter().enumerate() {
                let (shared, path) = (shared.clone(), path.clone());
                set.spawn(async move { (i, store_file(&shared, &path).await) });
            }
            let mut staged: Vec<(usize, Result<Option<Staged>>)> = set.join_all().await;
            staged.sort_by_key(|(i, _)| *i);
            for (_, s) in staged {
                if let Some(s) = s? {
                    record(shared, &tenant_id, &slug, s).await?;
                    n += 1;
                }
            }
        }
    }
    Ok(n)
}

/// A file whose bytes are in object storage, ready to be recorded.
struct Staged {
    path: PathBuf,
    sidecar: PathBuf,
    doc: NewDocument,
}

/// Read a file and store its bytes; `None` when another replica took it first.
async fn store_file(shared: &Arc<Shared>, path: &Path) -> Result<Option<Staged>> {
    let bytes = match tokio::fs::read(path).await {
        Ok(b) => b,
        // Another replica sharing the folder moved it first.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let stored = store_bytes(shared, &bytes)
        .await
        .with_context(|| format!("cannot store {}", path.display()))?;
    let sidecar = PathBuf::from(format!("{}.origin.json", path.display()));
    let origin: OriginFile = match tokio::fs::read_to_string(&sidecar).await {
        Ok(text) => serde_json::from_str(&text)
            .with_context(|| format!("invalid origin sidecar {}", sidecar.display()))?,
        Err(_) => OriginFile::default(),
    };
    let filename = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let doc = new_document(stored, filename, origin, "watch-folder", None);
    Ok(Some(Staged {
        path: path.to_path_buf(),
        sidecar,
        doc,
    }))
}

/// A document's bytes in object storage under their hash, not yet recorded.
pub(crate) struct StoredBytes {
    pub sha256: String,
    pub media_type: &'static str,
    pub blob_key: String,
    pub size: i64,
}

/// Store a document's bytes under `documents/<sha256>` (once: the same bytes are the
/// same blob). Shared by every intake channel; the bytes are stored before the
/// document that needs them is recorded.
pub(crate) async fn store_bytes(shared: &Shared, bytes: &[u8]) -> Result<StoredBytes> {
    let sha256 = papyr_runtime::registry::sha256_hex(bytes);
    let media_type = convert::sniff_media_type(bytes);
    let blob_key = format!("documents/{sha256}");
    if !shared.blob.exists(&blob_key).await? {
        shared.blob.put(&blob_key, bytes, media_type).await?;
    }
    Ok(StoredBytes {
        sha256,
        media_type,
        blob_key,
        size: bytes.len() as i64,
    })
}

/// The document to record for stored bytes; the origin's channel wins over
/// `default_channel`, and it is stamped with the time of receipt if it has none.
pub(crate) fn new_document(
    stored: StoredBytes,
    filename: String,
    mut origin: OriginFile,
    default_channel: &str,
    uploaded_by: Option<String>,
) -> NewDocument {
    if origin.received_at.is_none() {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        origin.received_at = Some(papyr_runtime::pipeline::unix_to_rfc3339(now));
    }
    let channel = origin
        .channel
        .clone()
        .unwrap_or_else(|| default_channel.into());
    NewDocument {
        filename,
        sha256: stored.sha256,
        size: stored.size,
        media_type: stored.media_type.into(),
        blob_key: stored.blob_key,
        message_id: origin.message_id.clone(),
        origin_json: serde_json::to_string(&origin).unwrap_or_else(|_| "{}".into()),
        channel,
        uploaded_by,
    }
}

/// Record a stored document and its first job in one transaction (or link it to the
/// tenant's earlier copy), counted and logged the same way for every channel.
pub(crate) async fn record_document(
    shared: &Shared,
    tenant_id: &str,
    tenant: &str,
    doc: &NewDocument,
) -> Result<Intake> {
    let outcome = shared
        .db
        .intake(tenant_id, doc, shared.cfg.workers.max_attempts as i64)
        .await?;
    let (filename, channel) = (&doc.filename, &doc.channel);
    match &outcome {
        Intake::Created { document_id } => {
            shared.metrics.intake("created");
            tracing::info!(tenant, document = %document_id, file = %filename, channel, "document received");
        }
        Intake::Duplicate {
            document_id,
            reason,
        } => {
            shared.metrics.intake("duplicate");
            tracing::info!(tenant, document = %document_id, file = %filename, channel, reason, "already received; linked, not processed again");
        }
    }
    Ok(outcome)
}

/// Record a stored file (document and first job in one transaction), then move it
/// out of the watch folder.
async fn record(shared: &Arc<Shared>, tenant_id: &str, slug: &str, staged: Staged) -> Result<()> {
    let Staged { path, sidecar, doc } = staged;
    record_document(shared, tenant_id, slug, &doc).await?;
    let done = shared.cfg.watch_dir().join(".processed").join(slug);
    tokio::fs::create_dir_all(&done).await?;
    for p in [path, sidecar] {
        if let Some(name) = p.file_name() {
            match tokio::fs::rename(&p, done.join(name)).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("cannot move {} out of the watch folder", p.display())
                    });
                }
            }
        }
    }
    Ok(())
}
