//! Vendor administration: paging, detail, edits, merges, sender domains and bank
//! accounts.
//!
//! When the tenant's `vendor_policy.iban_requires_confirmation` is on, a new IBAN is
//! only a pending request until a second, different person confirms it; the fraud
//! checks read `vendor_ibans` alone, so a pending account never counts as known.
//! Every change writes one audit-log row in its own transaction; another tenant's
//! vendor is "not found".
use crate::api::access::{Actor, new_id};
use crate::api::cursor::{self, Page};
use crate::api::sql::{Args, contains_pattern};
use crate::documents::insert_audit;
use crate::{Db, Result, StoreError, now_ms};
use serde_json::json;
use sqlx::Row;

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// A vendor as listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VendorSummary {
    pub id: String,
    pub name: String,
    pub country: Option<String>,
    pub tax_ids: Vec<String>,
    pub invoice_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A bank account the fraud checks treat as the vendor's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KnownIban {
    pub iban: String,
    /// The audit-log actor who verified it (`user:<id>`, or an import's name).
    pub verified_by: String,
    pub verified_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IbanRequestStatus {
    Pending,
    Confirmed,
    Declined,
}

impl IbanRequestStatus {
    fn as_str(self) -> &'static str {
        match self {
            IbanRequestStatus::Pending => "pending",
            IbanRequestStatus::Confirmed => "confirmed",
            IbanRequestStatus::Declined => "declined",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "pending" => Ok(IbanRequestStatus::Pending),
            "confirmed" => Ok(IbanRequestStatus::Confirmed),
            "declined" => Ok(IbanRequestStatus::Declined),
            other => Err(StoreError::Invalid(format!(
                "unknown IBAN request status `{other}`"
            ))),
        }
    }
}

/// A bank account waiting for (or decided by) a second person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IbanRequest {
    pub id: String,
    pub vendor_id: String,
    pub iban: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub status: IbanRequestStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VendorDetail {
    #[serde(flatten)]
    pub vendor: VendorSummary,
    pub ibans: Vec<KnownIban>,
    pub pending_ibans: Vec<IbanRequest>,
    pub domains: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewVendor {
    pub name: String,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub tax_ids: Vec<String>,
}

/// Fields left `None` keep their value; `country: Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct VendorUpdate {
    pub name: Option<String>,
    pub country: Option<Option<String>>,
    pub tax_ids: Option<Vec<String>>,
}

/// What adding an IBAN did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum IbanOutcome {
    /// On file (now or already): the fraud checks know it.
    Known(KnownIban),
    /// Waiting for a second person (the tenant requires confirmation).
    Pending(IbanRequest),
}

/// The listing [`Db::vendor_page`] cursors belong to.
const CURSOR_SCOPE: &str = "vendors:name";

// --- validation -------------------------------------------------------------

/// The registered IBAN length of a country (ISO 13616 registry).
#[rustfmt::skip] // reason: a registry table reads best as a table
fn iban_length(country: &str) -> Option<usize> {
    Some(match country {
        "AD" => 24, "AE" => 23, "AL" => 28, "AT" => 20, "AZ" => 28, "BA" => 20, "BE" => 16,
        "BG" => 22, "BH" => 22, "BI" => 27, "BR" => 29, "BY" => 28, "CH" => 21, "CR" => 22,
        "CY" => 28, "CZ" => 24, "DE" => 22, "DJ" => 27, "DK" => 18, "DO" => 28, "EE" => 20,
        "EG" => 29, "ES" => 24, "FI" => 18, "FK" => 18, "FO" => 18, "FR" => 27, "GB" => 22,
        "GE" => 22, "GI" => 23, "GL" => 18, "GR" => 27, "GT" => 28, "HN" => 28, "HR" => 21,
        "HU" => 28, "IE" => 22, "IL" => 23, "IQ" => 23, "IS" => 26, "IT" => 27, "JO" => 30,
        "KW" => 30, "KZ" => 20, "LB" => 28, "LC" => 32, "LI" => 21, "LT" => 20, "LU" => 20,
        "LV" => 21, "LY" => 25, "MC" => 27, "MD" => 24, "ME" => 22, "MK" => 19, "MN" => 20,
        "MR" => 27, "MT" => 31, "MU" => 30, "NI" => 28, "NL" => 18, "NO" => 15, "OM" => 23,
        "PK" => 24, "PL" => 28, "PS" => 29, "PT" => 25, "QA" => 29, "RO" => 24, "RS" => 22,
        "RU" => 33, "SA" => 24, "SC" => 31, "SD" => 18, "SE" => 24, "SI" => 19, "SK" => 24,
        "SM" => 27, "SO" => 23, "ST" => 25, "SV" => 28, "TL" => 23, "TN" => 24, "TR" => 26,
        "UA" => 29, "VA" => 22, "VG" => 24, "XK" => 20, "YE" => 30,
        _ => return None,
    })
}

/// ISO 7064 mod 97-10 of an IBAN: the first four characters moved to the end,
/// letters counted as 10..=35. `iban` is ASCII upper-case alphanumeric.
fn iban_mod97(iban: &str) -> u32 {
    let (head, tail) = iban.split_at(4);
    tail.bytes().chain(head.bytes()).fold(0, |rem, c| {
        if c.is_ascii_digit() {
            (rem * 10 + u32::from(c - b'0')) % 97
        } else {
            (rem * 100 + u32::from(c - b'A') + 10) % 97
        }
    })
}

/// An IBAN checked against ISO 13616 (format, its country's length, mod 97 = 1),
/// returned normalised: upper case, without spaces or dashes.
pub fn validate_iban(input: &str) -> Result<String> {
    let shown = input.trim();
    let bad = |why: String| StoreError::Invalid(format!("IBAN `{shown}` is not valid: {why}"));
    let iban: String = shown
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !iban.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(bad("only letters and digits are allowed".into()));
    }
    let b = iban.as_bytes();
    if b.len() < 5
        || !b[..2].iter().all(u8::is_ascii_alphabetic)
        || !b[2..4].iter().all(u8::is_ascii_digit)
    {
        return Err(bad(
            "it must start with a two-letter country code and two check digits".into(),
        ));
    }
    let country = &iban[..2];
    let Some(expected) = iban_length(country) else {
        return Err(bad(format!("{country} is not a country with IBANs")));
    };
    if b.len() != expected {
        return Err(bad(format!(
            "{country} IBANs have {expected} characters, this one has {}",
            b.len()
        )));
    }
    if iban_mod97(&iban) != 1 {
        return Err(bad("the check digits do not match (mod 97)".into()));
    }
    Ok(iban)
}

/// A sender domain, normalised: lower case, without a leading `@` or trailing dot.
/// Internationalised names are taken in their ASCII (`xn--`) form.
pub fn validate_domain(input: &str) -> Result<String> {
    let shown = input.trim();
    let bad =
        |why: &str| StoreError::Invalid(format!("sender domain `{shown}` is not valid: {why}"));
    let d = shown
        .strip_prefix('@')
        .unwrap_or(shown)
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if d.contains('@') {
        return Err(bad("give the part after the @, e.g. example.com"));
    }
    if !d.is_ascii() {
        return Err(bad(
            "use the ASCII form of an internationalised name (xn--…)",
        ));
    }
    if d.len() > 253 {
        return Err(bad("longer than 253 characters"));
    }
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 {
        return Err(bad("it needs at least two labels, e.g. example.com"));
    }
    for l in &labels {
        if l.is_empty() || l.len() > 63 {
            return Err(bad("each label between dots has 1 to 63 characters"));
        }
        if !l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
            return Err(bad("only letters, digits, dots and hyphens are allowed"));
        }
        if l.starts_with('-') || l.ends_with('-') {
            return Err(bad("a label cannot start or end with a hyphen"));
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.bytes().all(|c| c.is_ascii_digit()))
    {
        return Err(bad("an IP address is not a domain"));
    }
    Ok(d)
}

/// ISO 3166-1 alpha-2 codes (officially assigned, plus XK which IBANs use).
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ \
    BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ \
    EC EE EG EH ER ES ET FI FJ FK FM FO FR \
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU \
    ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ \
    LA LB LC LI LK LR LS LT LU LV LY \
    MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
    NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY \
    QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
    TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ \
    VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

/// A country code, upper-cased; empty means none.
pub fn validate_country(input: Option<&str>) -> Result<Option<String>> {
    let Some(c) = input.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let up = c.to_ascii_uppercase();
    if up.len() == 2 && COUNTRIES.split(' ').any(|k| k == up) {
        Ok(Some(up))
    } else {
        Err(StoreError::Invalid(format!(
            "country `{c}` is not an ISO 3166-1 alpha-2 code such as DE or FR"
        )))
    }
}

/// Tax ids without spaces, upper-cased, deduplicated in their given order.
pub fn normalize_tax_ids(ids: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for raw in ids {
        let t: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if t.len() < 2
            || t.len() > 32
            || !t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '/'))
        {
            return Err(StoreError::Invalid(format!(
                "tax id `{}` is not valid: use 2 to 32 letters, digits, `-`, `.` or `/`",
                raw.trim()
            )));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

fn validate_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(StoreError::Invalid("a vendor needs a name".into()));
    }
    if n.chars().count() > 200 {
        return Err(StoreError::Invalid(
            "a vendor name has at most 200 characters".into(),
        ));
    }
    Ok(n.into())
}

// --- rows ---------------------------------------------------------------------

const SUMMARY_SELECT: &str = "SELECT v.id, v.name, v.country, v.tax_ids, v.created_at, v.updated_at, LOWER(v.name) AS sort_key, \
     (SELECT COUNT(*) FROM invoices i WHERE i.tenant_id = v.tenant_id AND i.vendor_id = v.id) AS invoice_count \
     FROM vendors v";

fn summary_row(r: &sqlx::any::AnyRow) -> Result<VendorSummary> {
    Ok(VendorSummary {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        country: r.try_get("country")?,
        tax_ids: serde_json::from_str(&r.try_get::<String, _>("tax_ids")?).unwrap_or_default(),
        invoice_count: r.try_get("invoice_count")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const REQUEST_COLUMNS: &str =
    "id, vendor_id, iban, requested_by, requested_at, status, decided_by, decided_at";

fn request_row(r: &sqlx::any::AnyRow) -> Result<IbanRequest> {
    Ok(IbanRequest {
        id: r.try_get("id")?,
        vendor_id: r.try_get("vendor_id")?,
        iban: r.try_get("iban")?,
        requested_by: r.try_get("requested_by")?,
        requested_at: r.try_get("requested_at")?,
        status: IbanRequestStatus::parse(&r.try_get::<String, _>("status")?)?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
    })
}

fn vendor_not_found(id: &str) -> StoreError {
    StoreError::NotFound(format!("vendor {id}"))
}

/// Checks the vendor is the tenant's and takes its row lock; `bump` records that
/// the vendor master changed (the fraud checks see `updated_at`).
async fn lock_vendor(tx: &mut Tx, tenant_id: &str, vendor_id: &str, bump: bool) -> Result<()> {
    let query = if bump {
        sqlx::query("UPDATE vendors SET updated_at = $3 WHERE id = $1 AND tenant_id = $2")
            .bind(vendor_id)
            .bind(tenant_id)
            .bind(now_ms())
    } else {
        sqlx::query("UPDATE vendors SET updated_at = updated_at WHERE id = $1 AND tenant_id = $2")
            .bind(vendor_id)
            .bind(tenant_id)
    };
    let n = query.execute(&mut **tx).await?.rows_affected();
    if n == 0 {
        return Err(vendor_not_found(vendor_id));
    }
    Ok(())
}

async fn known_iban(
    tx: &mut Tx,
    tenant_id: &str,
    vendor_id: &str,
    iban: &str,
) -> Result<Option<KnownIban>> {
    let row: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT iban, verified_by, verified_at FROM vendor_ibans WHERE tenant_id = $1 AND vendor_id = $2 AND iban = $3",
    )
    .bind(tenant_id)
    .bind(vendor_id)
    .bind(iban)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|(iban, verified_by, verified_at)| KnownIban {
        iban,
        verified_by,
        verified_at,
    }))
}

/// The request matching `cond`, whose placeholders from `$2` on take `args`.
async fn request_where(
    tx: &mut Tx,
    tenant_id: &str,
    cond: &str,
    args: &[&str],
) -> Result<Option<IbanRequest>> {
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM vendor_iban_requests WHERE tenant_id = $1 AND {cond}"
    );
    let mut query = sqlx::query(&sql).bind(tenant_id);
    for a in args {
        query = query.bind(*a);
    }
    let row = query.fetch_optional(&mut **tx).await?;
    row.as_ref().map(request_row).transpose()
}

/// The tenant's `vendor_policy.iban_requires_confirmation`, read inside the
/// transaction that acts on it.
async fn iban_requires_confirmation(tx: &mut Tx, tenant_id: &str) -> Result<bool> {
    let row: Option<(String,)> = sqlx::query_as("SELECT settings FROM tenants WHERE id = $1")
        .bind(tenant_id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some((settings,)) = row else {
        return Err(StoreError::NotFound(format!("tenant {tenant_id}")));
    };
    let file = papyr_domain::TenantFile::from_json(&settings).map_err(|e| {
        StoreError::Invalid(format!(
            "the tenant's settings cannot be read, so its IBAN policy is unknown: {e}"
        ))
    })?;
    Ok(file.vendor_policy.iban_requires_confirmation)
}

async fn audit(
    tx: &mut Tx,
    tenant_id: &str,
    by: Actor<'_>,
    action: &str,
    detail: serde_json::Value,
) -> Result<()> {
    insert_audit(
        tx,
        tenant_id,
        None,
        &by.audit_name(),
        action,
        &detail.to_string(),
    )
    .await
}

impl Db {
    /// A page of the tenant's vendors by name. `filter` matches a part of the name, a
    /// tax id, a sender domain or an IBAN, case-insensitively; `cursor` is a previous
    /// page's `next_cursor`; `limit` is clamped to 1..=[`cursor::MAX_LIMIT`].
    pub async fn vendor_page(
        &self,
        tenant_id: &str,
        filter: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Page<VendorSummary>> {
        let limit = cursor::clamp_limit(limit);
        let mut args = Args::default();
        let mut sql = format!(
            "{SUMMARY_SELECT} WHERE v.tenant_id = {}",
            args.add(tenant_id)
        );
        if let Some(c) = after {
            let (key, id) = cursor::decode(tenant_id, CURSOR_SCOPE, c)?;
            let key = key.as_str().unwrap_or_default().to_string();
            let k = args.add(key);
            let i = args.add(id);
            sql.push_str(&format!(
                " AND (LOWER(v.name) > {k} OR (LOWER(v.name) = {k} AND v.id > {i}))"
            ));
        }
        if let Some(f) = filter.map(str::trim).filter(|f| !f.is_empty()) {
            let text = args.add(contains_pattern(&f.to_lowercase()));
            let compact: String = f
                .chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| c.to_ascii_uppercase())
                .collect();
            let iban = args.add(contains_pattern(&compact));
            sql.push_str(&format!(
                " AND (LOWER(v.name) LIKE {text} ESCAPE '\\' OR LOWER(v.tax_ids) LIKE {text} ESCAPE '\\' \
                 OR EXISTS (SELECT 1 FROM vendor_domains d WHERE d.vendor_id = v.id AND d.domain LIKE {text} ESCAPE '\\') \
                 OR EXISTS (SELECT 1 FROM vendor_ibans b WHERE b.vendor_id = v.id AND b.iban LIKE {iban} ESCAPE '\\'))"
            ));
        }
        sql.push_str(&format!(
            " ORDER BY LOWER(v.name), v.id LIMIT {}",
            args.add(limit + 1)
        ));
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.pool).await?;
        let more = rows.len() as i64 > limit;
        let rows = &rows[..rows.len().min(limit as usize)];
        let next_cursor = match rows.last() {
            Some(last) if more => Some(cursor::encode(
                tenant_id,
                CURSOR_SCOPE,
                &serde_json::Value::String(last.try_get("sort_key")?),
                &last.try_get::<String, _>("id")?,
            )),
            _ => None,
        };
        Ok(Page {
            items: rows.iter().map(summary_row).collect::<Result<_>>()?,
            next_cursor,
        })
    }

    /// One vendor with its known IBANs, pending IBAN requests, sender domains and
    /// invoice count.
    pub async fn vendor(&self, tenant_id: &str, vendor_id: &str) -> Result<Option<VendorDetail>> {
        let row = sqlx::query(&format!(
            "{SUMMARY_SELECT} WHERE v.tenant_id = $1 AND v.id = $2"
        ))
        .bind(tenant_id)
        .bind(vendor_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let ibans: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT iban, verified_by, verified_at FROM vendor_ibans WHERE tenant_id = $1 AND vendor_id = $2 ORDER BY verified_at, iban",
        )
        .bind(tenant_id)
        .bind(vendor_id)
        .fetch_all(&self.pool)
        .await?;
        let pending = sqlx::query(&format!(
            "SELECT {REQUEST_COLUMNS} FROM vendor_iban_requests WHERE tenant_id = $1 AND vendor_id = $2 AND status = 'pending' ORDER BY requested_at, id"
        ))
        .bind(tenant_id)
        .bind(vendor_id)
        .fetch_all(&self.pool)
        .await?;
        let domains: Vec<(String,)> = sqlx::query_as(
            "SELECT domain FROM vendor_domains WHERE tenant_id = $1 AND vendor_id = $2 ORDER BY domain",
        )
        .bind(tenant_id)
        .bind(vendor_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(VendorDetail {
            vendor: summary_row(&row)?,
            ibans: ibans
                .into_iter()
                .map(|(iban, verified_by, verified_at)| KnownIban {
                    iban,
                    verified_by,
                    verified_at,
                })
                .collect(),
            pending_ibans: pending.iter().map(request_row).collect::<Result<_>>()?,
            domains: domains.into_iter().map(|(d,)| d).collect(),
        }))
    }

    async fn vendor_after_change(&self, tenant_id: &str, vendor_id: &str) -> Result<VendorDetail> {
        self.vendor(tenant_id, vendor_id)
            .await?
            .ok_or_else(|| vendor_not_found(vendor_id))
    }

    pub async fn create_vendor(
        &self,
        tenant_id: &str,
        new: &NewVendor,
        by: Actor<'_>,
    ) -> Result<VendorDetail> {
        let name = validate_name(&new.name)?;
        let country = validate_country(new.country.as_deref())?;
        let tax_ids = normalize_tax_ids(&new.tax_ids)?;
        let id = new_id("v")?;
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        crate::api::access::lock_tenant(&mut tx, tenant_id).await?;
        sqlx::query(
            "INSERT INTO vendors (id, tenant_id, name, country, tax_ids, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(tenant_id)
        .bind(&name)
        .bind(&country)
        .bind(json!(tax_ids).to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            tenant_id,
            by,
            "vendor.created",
            json!({ "vendor": id, "name": name, "country": country, "tax_ids": tax_ids }),
        )
        .await?;
        tx.commit().await?;
        self.vendor_after_change(tenant_id, &id).await
    }

    /// Change name, country or tax ids; bumps `updated_at`.
    pub async fn update_vendor(
        &self,
        tenant_id: &str,
        vendor_id: &str,
        update: &VendorUpdate,
        by: Actor<'_>,
    ) -> Result<VendorDetail> {
        let name = update.name.as_deref().map(validate_name).transpose()?;
        let country = update
            .country
            .as_ref()
            .map(|c| validate_country(c.as_deref()))
            .transpose()?;
        let tax_ids = update
            .tax_ids
            .as_deref()
            .map(normalize_tax_ids)
            .transpose()?;
        let mut tx = self.begin_write().await?;
        lock_vendor(&mut tx, tenant_id, vendor_id, true).await?;
        let (old_name, old_country, old_tax): (String, Option<String>, String) = sqlx::query_as(
            "SELECT name, country, tax_ids FROM vendors WHERE id = $1 AND tenant_id = $2",
        )
        .bind(vendor_id)
        .bind(tenant_id)
        .fetch_one(&mut *tx)
        .await?;
        let old_tax: Vec<String> = serde_json::from_str(&old_tax).unwrap_or_default();
        let new_name = name.unwrap_or_else(|| old_name.clone());
        let new_country = country.unwrap_or_else(|| old_country.clone());
        let new_tax = tax_ids.unwrap_or_else(|| old_tax.clone());
        sqlx::query("UPDATE vendors SET name = $1, country = $2, tax_ids = $3 WHERE id = $4 AND tenant_id = $5")
            .bind(&new_name)
            .bind(&new_country)
            .bind(json!(new_tax).to_string())
            .bind(vendor_id)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            tenant_id,
            by,
            "vendor.updated",
            json!({
                "vendor": vendor_id,
                "name": { "old": old_name, "new": new_name },
                "country": { "old": old_country, "new": new_country },
                "tax_ids": { "old": old_tax, "new": new_tax },
            }),
        )
        .await?;
        tx.commit().await?;
        self.vendor_after_change(tenant_id, vendor_id).await
    }

    /// Merge `source_id` into `target_id`: its invoices point at the target, its
    /// IBANs, domains and IBAN requests move over (no duplicates), tax ids are
    /// united, a missing country is taken over, and the source is deleted.
    pub async fn merge_vendors(
        &self,
        tenant_id: &str,
        source_id: &str,
        target_id: &str,
        by: Actor<'_>,
    ) -> Result<VendorDetail> {
        if source_id == target_id {
            return Err(StoreError::Invalid(
                "a vendor cannot be merged into itself".into(),
            ));
        }
        let now = now_ms();
        let actor = by.audit_name();
        let mut tx = self.begin_write().await?;
        lock_vendor(&mut tx, tenant_id, source_id, false).await?;
        lock_vendor(&mut tx, tenant_id, target_id, true).await?;
        let load = "SELECT name, country, tax_ids FROM vendors WHERE id = $1 AND tenant_id = $2";
        let (src_name, src_country, src_tax): (String, Option<String>, String) =
            sqlx::query_as(load)
                .bind(source_id)
                .bind(tenant_id)
                .fetch_one(&mut *tx)
                .await?;
        let (_, dst_country, dst_tax): (String, Option<String>, String) = sqlx::query_as(load)
            .bind(target_id)
            .bind(tenant_id)
            .fetch_one(&mut *tx)
            .await?;
        let mut tax: Vec<String> = serde_json::from_str(&dst_tax).unwrap_or_default();
        for t in serde_json::from_str::<Vec<String>>(&src_tax).unwrap_or_default() {
            if !tax.contains(&t) {
                tax.push(t);
            }
        }
        sqlx::query(
            "UPDATE vendors SET tax_ids = $1, country = $2 WHERE id = $3 AND tenant_id = $4",
        )
        .bind(json!(tax).to_string())
        .bind(dst_country.or(src_country))
        .bind(target_id)
        .bind(tenant_id)
        .execute(&mut *tx)
        .await?;
        let invoices = sqlx::query(
            "UPDATE invoices SET vendor_id = $3 WHERE tenant_id = $1 AND vendor_id = $2",
        )
        .bind(tenant_id)
        .bind(source_id)
        .bind(target_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        for (table, column, extra) in [
            ("vendor_ibans", "iban", ", verified_by, verified_at"),
            ("vendor_domains", "domain", ""),
        ] {
            sqlx::query(&format!(
                "INSERT INTO {table} (vendor_id, tenant_id, {column}{extra}) \
                 SELECT $3, tenant_id, {column}{extra} FROM {table} WHERE tenant_id = $1 AND vendor_id = $2 \
                 ON CONFLICT (vendor_id, {column}) DO NOTHING"
            ))
            .bind(tenant_id)
            .bind(source_id)
            .bind(target_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE tenant_id = $1 AND vendor_id = $2"
            ))
            .bind(tenant_id)
            .bind(source_id)
            .execute(&mut *tx)
            .await?;
        }
        // A pending request the target already has (known or pending) would be a
        // duplicate after the move: it is settled as declined.
        sqlx::query(
            "UPDATE vendor_iban_requests SET status = 'declined', decided_by = $4, decided_at = $5 \
             WHERE tenant_id = $1 AND vendor_id = $2 AND status = 'pending' \
               AND (iban IN (SELECT iban FROM vendor_ibans WHERE vendor_id = $3) \
                    OR iban IN (SELECT r.iban FROM vendor_iban_requests r WHERE r.vendor_id = $3 AND r.status = 'pending'))",
        )
        .bind(tenant_id)
        .bind(source_id)
        .bind(target_id)
        .bind(&actor)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE vendor_iban_requests SET vendor_id = $3 WHERE tenant_id = $1 AND vendor_id = $2")
            .bind(tenant_id)
            .bind(source_id)
            .bind(target_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM vendors WHERE id = $1 AND tenant_id = $2")
            .bind(source_id)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            tenant_id,
            by,
            "vendor.merged",
            json!({
                "source": source_id,
                "source_name": src_name,
                "target": target_id,
                "invoices_moved": invoices,
                "tax_ids": tax,
            }),
        )
        .await?;
        tx.commit().await?;
        self.vendor_after_change(tenant_id, target_id).await
    }

    /// Add a sender domain (idempotent); returns it normalised.
    pub async fn add_vendor_domain(
        &self,
        tenant_id: &str,
        vendor_id: &str,
        domain: &str,
        by: Actor<'_>,
    ) -> Result<String> {
        let domain = validate_domain(domain)?;
        let mut tx = self.begin_write().await?;
        lock_vendor(&mut tx, tenant_id, vendor_id, true).await?;
        let n = sqlx::query("INSERT INTO vendor_domains (vendor_id, tenant_id, domain) VALUES ($1, $2, $3) ON CONFLICT (vendor_id, domain) DO NOTHING")
            .bind(vendor_id)
            .bind(tenant_id)
            .bind(&domain)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Ok(domain);
        }
        audit(
            &mut tx,
            tenant_id,
            by,
            "vendor.domain-added",
            json!({ "vendor": vendor_id, "domain": domain }),
        )
        .await?;
        tx.commit().await?;
        Ok(domain)
    }

    pub async fn remove_vendor_domain(
        &self,
        tenant_id: &str,
        vendor_id: &str,
        domain: &str,
        by: Actor<'_>,
    ) -> Result<()> {
        let domain = domain
            .trim()
            .trim_start_matches('@')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let mut tx = self.begin_write().await?;
        lock_vendor(&mut tx, tenant_id, vendor_id, true).await?;
        let n = sqlx::query(
            "DELETE FROM vendor_domains WHERE tenant_id = $1 AND vendor_id = $2 AND domain = $3",
        )
        .bind(tenant_id)
        .bind(vendor_id)
        .bind(&domain)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("sender domain {domain}")));
        }
        audit(
            &mut tx,
            tenant_id,
            by,
            "vendor.domain-removed",
            json!({ "vendor": vendor_id, "domain": domain }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Add a bank account. Known already → [`IbanOutcome::Known`] without a change.
    /// If the tenant requires confirmation, a pending request (the same one again
    /// if it is already pending); otherwise on file at once, verified by `by`.
    pub async fn add_vendor_iban(
        &self,
        tenant_id: &str,
        vendor_id: &str,
        iban: &str,
        by: Actor<'_>,
    ) -> Result<IbanOutcome> {
        let iban = validate_iban(iban)?;
        let actor = by.audit_name();
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        lock_vendor(&mut tx, tenant_id, vendor_id, false).await?;
        if let Some(known) = known_iban(&mut tx, tenant_id, vendor_id, &iban).await? {
            tx.rollback().await?;
            return Ok(IbanOutcome::Known(known));
        }
        if iban_requires_confirmation(&mut tx, tenant_id).await? {
            let pending = request_where(
                &mut tx,
                tenant_id,
                "vendor_id = $2 AND iban = $3 AND status = 'pending'",
                &[vendor_id, &iban],
            )
            .await?;
            if let Some(p) = pending {
                tx.rollback().await?;
                return Ok(IbanOutcome::Pending(p));
            }
            let req = IbanRequest {
                id: new_id("ibr")?,
                vendor_id: vendor_id.into(),
                iban,
                requested_by: actor,
                requested_at: now,
                status: IbanRequestStatus::Pending,
                decided_by: None,
                decided_at: None,
            };
            sqlx::query(
                "INSERT INTO vendor_iban_requests (id, tenant_id, vendor_id, iban, requested_by, requested_at, status) VALUES ($1, $2, $3, $4, $5, $6, 'pending')",
            )
            .bind(&req.id)
            .bind(tenant_id)
            .bind(vendor_id)
            .bind(&req.iban)
            .bind(&req.requested_by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit(
                &mut tx,
                tenant_id,
                by,
                "vendor.iban-requested",
                json!({ "vendor": vendor_id, "iban": req.iban, "request": req.id }),
            )
            .await?;
            tx.commit().await?;
            return Ok(IbanOutcome::Pending(req));
        }
        sqlx::query("INSERT INTO vendor_ibans (vendor_id, tenant_id, iban, verified_by, verified_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(vendor_id)
            .bind(tenant_id)
            .bind(&iban)
            .bind(&actor)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        lock_vendor(&mut tx, tenant_id, vendor_id, true).await?;
        audit(
            &mut tx,
            tenant_id,
            by,
            "vendor.iban-added",
            json!({ "vendor": vendor_id, "iban": iban }),
        )
        .await?;
        tx.commit().await?;
        Ok(IbanOutcome::Known(KnownIban {
            iban,
            verified_by: actor,
            verified_at: now,
        }))
    }

    /// The tenant's IBAN requests waiting for a second person, oldest first.
    pub async fn pending_iban_requests(&self, tenant_id: &str) -> Result<Vec<IbanRequest>> {
        let rows = sqlx::query(&format!(
            "SELECT {REQUEST_COLUMNS} FROM vendor_iban_requests WHERE tenant_id = $1 AND status = 'pending' ORDER BY requested_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(request_row).collect()
    }

    /// Confirm a pending IBAN: the account goes on file, verified by the confirmer.
    /// The confirmer must be an active user of the tenant and neither the requester
    /// nor, for a request made with an API key, that key's creator.
    pub async fn confirm_iban_request(
        &self,
        tenant_id: &str,
        request_id: &str,
        user_id: &str,
    ) -> Result<KnownIban> {
        let by = Actor::User(user_id);
        let actor = by.audit_name();
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let req = open_request(&mut tx, tenant_id, request_id).await?;
        let mut requesters = vec![req.requested_by.clone()];
        if let Some(key) = req.requested_by.strip_prefix("api-key:") {
            let creator: Option<(String,)> =
                sqlx::query_as("SELECT created_by FROM api_keys WHERE id = $1 AND tenant_id = $2")
                    .bind(key)
                    .bind(tenant_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            requesters.extend(creator.map(|(c,)| c));
        }
        if requesters.contains(&actor) {
            return Err(StoreError::Forbidden(
                "four eyes: the person who requested this bank account cannot confirm it; another user must".into(),
            ));
        }
        let user: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT disabled_at FROM users WHERE id = $1 AND tenant_id = $2")
                .bind(user_id)
                .bind(tenant_id)
                .fetch_optional(&mut *tx)
                .await?;
        match user {
            None => {
                return Err(StoreError::Forbidden(format!(
                    "only a user of the tenant can confirm a bank account; {user_id} is not one"
                )));
            }
            Some((Some(_),)) => {
                return Err(StoreError::Forbidden(format!("user {user_id} is disabled")));
            }
            Some((None,)) => {}
        }
        settle_request(
            &mut tx,
            tenant_id,
            &req,
            IbanRequestStatus::Confirmed,
            &actor,
            now,
        )
        .await?;
        sqlx::query(
            "INSERT INTO vendor_ibans (vendor_id, tenant_id, iban, verified_by, verified_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (vendor_id, iban) DO NOTHING",
        )
        .bind(&req.vendor_id)
        .bind(tenant_id)
        .bind(&req.iban)
        .bind(&actor)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        lock_vendor(&mut tx, tenant_id, &req.vendor_id, true).await?;
        audit(
            &mut tx,
            tenant_id,
            by,
            "vendor.iban-confirmed",
            json!({ "vendor": req.vendor_id, "iban": req.iban, "request": req.id, "requested_by": req.requested_by }),
        )
        .await?;
        let known = known_iban(&mut tx, tenant_id, &req.vendor_id, &req.iban).await?;
        tx.commit().await?;
        known.ok_or_else(|| vendor_not_found(&req.vendor_id))
    }

    /// Decline a pending IBAN (the requester may withdraw their own).
    pub async fn decline_iban_request(
        &self,
        tenant_id: &str,
        request_id: &str,
        by: Actor<'_>,
    ) -> Result<IbanRequest> {
        let actor = by.audit_name();
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let req = open_request(&mut tx, tenant_id, request_id).await?;
        settle_request(
            &mut tx,
            tenant_id,
            &req,
            IbanRequestStatus::Declined,
            &actor,
            now,
        )
        .await?;
        audit(
            &mut tx,
            tenant_id,
            by,
            "vendor.iban-declined",
            json!({ "vendor": req.vendor_id, "iban": req.iban, "request": req.id, "requested_by": req.requested_by }),
        )
        .await?;
        tx.commit().await?;
        Ok(IbanRequest {
            status: IbanRequestStatus::Declined,
            decided_by: Some(actor),
            decided_at: Some(now),
            ..req
        })
    }

    /// Take a bank account off file.
    pub async fn remove_vendor_iban(
        &self,
        tenant_id: &str,
        vendor_id: &str,
        iban: &str,
        by: Actor<'_>,
    ) -> Result<()> {
        let iban: String = iban
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let mut tx = self.begin_write().await?;
        lock_vendor(&mut tx, tenant_id, vendor_id, true).await?;
        let n = sqlx::query(
            "DELETE FROM vendor_ibans WHERE tenant_id = $1 AND vendor_id = $2 AND iban = $3",
        )
        .bind(tenant_id)
        .bind(vendor_id)
        .bind(&iban)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("IBAN {iban}")));
        }
        audit(
            &mut tx,
            tenant_id,
            by,
            "vendor.iban-removed",
            json!({ "vendor": vendor_id, "iban": iban }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A pending request of the tenant, or why not.
async fn open_request(tx: &mut Tx, tenant_id: &str, request_id: &str) -> Result<IbanRequest> {
    let req = request_where(tx, tenant_id, "id = $2", &[request_id])
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("IBAN request {request_id}")))?;
    if req.status != IbanRequestStatus::Pending {
        return Err(StoreError::Invalid(format!(
            "the IBAN request {request_id} is already {}",
            req.status.as_str()
        )));
    }
    Ok(req)
}

/// Pending → `status`, guarded so two deciders cannot both win.
async fn settle_request(
    tx: &mut Tx,
    tenant_id: &str,
    req: &IbanRequest,
    status: IbanRequestStatus,
    actor: &str,
    now: i64,
) -> Result<()> {
    let n = sqlx::query(
        "UPDATE vendor_iban_requests SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND tenant_id = $5 AND status = 'pending'",
    )
    .bind(status.as_str())
    .bind(actor)
    .bind(now)
    .bind(&req.id)
    .bind(tenant_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Invalid(format!(
            "the IBAN request {} was decided by someone else meanwhile",
            req.id
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans_are_checked_against_iso_13616() {
        assert_eq!(
            validate_iban("de89 3704 0044 0532 0130 00").unwrap(),
            "DE89370400440532013000"
        );
        assert_eq!(
            validate_iban("GB82-WEST-1234-5698-7654-32").unwrap(),
            "GB82WEST12345698765432"
        );
        assert_eq!(validate_iban("NO9386011117947").unwrap(), "NO9386011117947");
        let msg = |s: &str| validate_iban(s).unwrap_err().to_string();
        assert!(msg("DE89370400440532013001").contains("check digits do not match"));
        assert!(
            msg("DE8937040044053201300").contains("DE IBANs have 22 characters, this one has 21")
        );
        assert!(msg("ZZ89370400440532013000").contains("ZZ is not a country with IBANs"));
        assert!(msg("1234").contains("two-letter country code"));
        assert!(msg("DE89 3704 0044 0532 0130 0Ä").contains("only letters and digits"));
        assert!(msg("").contains("two-letter country code"));
    }

    #[test]
    fn domains_are_normalised_and_checked() {
        assert_eq!(
            validate_domain(" @Mail.ACME.example. ").unwrap(),
            "mail.acme.example"
        );
        assert_eq!(
            validate_domain("xn--bcher-kva.example").unwrap(),
            "xn--bcher-kva.example"
        );
        let msg = |s: &str| validate_domain(s).unwrap_err().to_string();
        assert!(msg("ann@acme.example").contains("the part after the @"));
        assert!(msg("localhost").contains("at least two labels"));
        assert!(msg("bücher.example").contains("ASCII form"));
        assert!(msg("-acme.example").contains("hyphen"));
        assert!(msg("acme..example").contains("1 to 63"));
        assert!(msg("acme_co.example").contains("only letters, digits"));
        assert!(msg("10.0.0.1").contains("IP address"));
    }

    #[test]
    fn countries_and_tax_ids() {
        assert_eq!(
            validate_country(Some(" de ")).unwrap().as_deref(),
            Some("DE")
        );
        assert_eq!(validate_country(Some("")).unwrap(), None);
        assert!(validate_country(Some("XX")).is_err());
        assert!(validate_country(Some("DEU")).is_err());
        assert_eq!(COUNTRIES.split(' ').count(), 250);
        assert_eq!(
            normalize_tax_ids(&["de 123 456 789".into(), "DE123456789".into()]).unwrap(),
            ["DE123456789"]
        );
        assert!(normalize_tax_ids(&["x".into()]).is_err());
        assert!(normalize_tax_ids(&["DE 12;3".into()]).is_err());
    }
}
