//! The vendor master: names, tax ids, verified bank accounts, sender domains.
use crate::{Db, Result, StoreError, now_ms};

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VendorRow {
    pub id: String,
    pub name: String,
    pub country: Option<String>,
    pub tax_ids: Vec<String>,
    /// Normalised IBANs (upper case, no spaces).
    pub ibans: Vec<String>,
    pub domains: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Db {
    /// Insert or replace a vendor with its accounts and domains. `verified_by` is
    /// recorded on each IBAN not already on file.
    pub async fn upsert_vendor(
        &self,
        tenant_id: &str,
        v: &VendorRow,
        verified_by: &str,
    ) -> Result<()> {
        let now = now_ms();
        let tax_ids = serde_json::to_string(&v.tax_ids).unwrap_or_else(|_| "[]".into());
        let mut tx = self.begin_write().await?;
        let written = sqlx::query(
            "INSERT INTO vendors (id, tenant_id, name, country, tax_ids, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, country = excluded.country, tax_ids = excluded.tax_ids, updated_at = excluded.updated_at \
             WHERE vendors.tenant_id = excluded.tenant_id",
        )
        .bind(&v.id)
        .bind(tenant_id)
        .bind(&v.name)
        .bind(&v.country)
        .bind(&tax_ids)
        .bind(if v.created_at > 0 { v.created_at } else { now })
        .bind(if v.updated_at > 0 { v.updated_at } else { now })
        .execute(&mut *tx)
        .await?;
        // Vendor ids are global keys: another tenant's vendor with this id must not
        // be overwritten or receive this tenant's accounts.
        if written.rows_affected() == 0 {
            return Err(StoreError::Invalid(format!(
                "vendor id {} belongs to another tenant",
                v.id
            )));
        }
        for iban in &v.ibans {
            sqlx::query(
                "INSERT INTO vendor_ibans (vendor_id, tenant_id, iban, verified_by, verified_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (vendor_id, iban) DO NOTHING",
            )
            .bind(&v.id)
            .bind(tenant_id)
            .bind(iban)
            .bind(verified_by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        for d in &v.domains {
            sqlx::query("INSERT INTO vendor_domains (vendor_id, tenant_id, domain) VALUES ($1, $2, $3) ON CONFLICT (vendor_id, domain) DO NOTHING")
                .bind(&v.id)
                .bind(tenant_id)
                .bind(d.to_lowercase())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every vendor of a tenant (at most 10,000) with accounts and domains.
    pub async fn vendors(&self, tenant_id: &str) -> Result<Vec<VendorRow>> {
        let rows: Vec<(String, String, Option<String>, String, i64, i64)> = sqlx::query_as(
            "SELECT id, name, country, tax_ids, created_at, updated_at FROM vendors WHERE tenant_id = $1 ORDER BY id LIMIT 10000",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        let ibans: Vec<(String, String)> =
            sqlx::query_as("SELECT vendor_id, iban FROM vendor_ibans WHERE tenant_id = $1")
                .bind(tenant_id)
                .fetch_all(&self.pool)
                .await?;
        let domains: Vec<(String, String)> =
            sqlx::query_as("SELECT vendor_id, domain FROM vendor_domains WHERE tenant_id = $1")
                .bind(tenant_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, name, country, tax_ids, created_at, updated_at)| VendorRow {
                    ibans: ibans
                        .iter()
                        .filter(|(v, _)| *v == id)
                        .map(|(_, i)| i.clone())
                        .collect(),
                    domains: domains
                        .iter()
                        .filter(|(v, _)| *v == id)
                        .map(|(_, d)| d.clone())
                        .collect(),
                    tax_ids: serde_json::from_str(&tax_ids).unwrap_or_default(),
                    id,
                    name,
                    country,
                    created_at,
                    updated_at,
                },
            )
            .collect())
    }
}
