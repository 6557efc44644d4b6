//! Opaque keyset cursors and the page they come with.
//!
//! A cursor is base64url of `[version, scope, last sort value, last id, check]`. The
//! scope names the listing and its order (`invoices:gross:desc`), so a cursor is
//! refused by any other listing or order; the check covers the tenant too, so one
//! tenant's cursor is refused by another and an edited cursor is refused
//! everywhere. The check is not a secret MAC: a forged cursor can only choose where
//! a page starts within the caller's own tenant, which the caller can do anyway.
use crate::{Result, StoreError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// One page of a listing; `next_cursor` is `None` on the last page.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Largest page any listing returns.
pub const MAX_LIMIT: i64 = 200;

/// Page sizes outside 1..=[`MAX_LIMIT`] are clamped rather than refused.
pub fn clamp_limit(limit: i64) -> i64 {
    limit.clamp(1, MAX_LIMIT)
}

const FORMAT: i64 = 1;

fn check(tenant_id: &str, scope: &str, key: &Value, id: &str) -> String {
    // FNV-1a: enough to detect edits and mix-ups, see the module docs.
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let key = key.to_string();
    for part in [tenant_id, scope, key.as_str(), id] {
        for b in part.bytes().chain([0xffu8]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// A cursor positioned after the row with sort value `key` and id `id`.
pub(crate) fn encode(tenant_id: &str, scope: &str, key: &Value, id: &str) -> String {
    let body = serde_json::json!([FORMAT, scope, key, id, check(tenant_id, scope, key, id)]);
    URL_SAFE_NO_PAD.encode(body.to_string())
}

/// The (sort value, id) a cursor points after, if it was made by this tenant for
/// this scope.
pub(crate) fn decode(tenant_id: &str, scope: &str, cursor: &str) -> Result<(Value, String)> {
    let damaged =
        || StoreError::Invalid("the cursor is damaged or was not issued for this tenant".into());
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| damaged())?;
    let body: Value = serde_json::from_slice(&bytes).map_err(|_| damaged())?;
    let Some([format, s, key, id, sum]) = body
        .as_array()
        .and_then(|a| <&[Value; 5]>::try_from(a.as_slice()).ok())
    else {
        return Err(damaged());
    };
    let (Some(s), Some(id), Some(sum)) = (s.as_str(), id.as_str(), sum.as_str()) else {
        return Err(damaged());
    };
    if format.as_i64() != Some(FORMAT) || sum != check(tenant_id, s, key, id) {
        return Err(damaged());
    }
    // The checksum is not a secret, so a crafted cursor can pass it: refuse what no
    // stored value holds (PostgreSQL refuses NUL in text, which would be a 500).
    if id.contains('\0') || key.as_str().is_some_and(|k| k.contains('\0')) {
        return Err(damaged());
    }
    if s != scope {
        return Err(StoreError::Invalid(format!(
            "the cursor belongs to another listing or sort order ({s}, not {scope}): start again without a cursor"
        )));
    }
    Ok((key.clone(), id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crafted_cursors_with_nul_are_refused() {
        for (key, id) in [(Value::from("a\0b"), "d_1"), (Value::from(1), "d_\0")] {
            let c = encode("t_a", "invoices:vendor_name:asc", &key, id);
            let e = decode("t_a", "invoices:vendor_name:asc", &c).unwrap_err();
            assert!(e.to_string().contains("damaged"), "{e}");
        }
    }

    #[test]
    fn round_trips_and_refuses_mixups() {
        let c = encode("t_a", "invoices:gross:desc", &Value::from(1250), "d_1");
        assert!(
            c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(
            decode("t_a", "invoices:gross:desc", &c).unwrap(),
            (Value::from(1250), "d_1".to_string())
        );
        let other_sort = decode("t_a", "invoices:gross:asc", &c)
            .unwrap_err()
            .to_string();
        assert!(
            other_sort.contains("another listing or sort order"),
            "{other_sort}"
        );
        let other_tenant = decode("t_b", "invoices:gross:desc", &c)
            .unwrap_err()
            .to_string();
        assert!(
            other_tenant.contains("not issued for this tenant"),
            "{other_tenant}"
        );
        // A re-encoded edit of the value with the old check.
        let edited = URL_SAFE_NO_PAD.encode(
            String::from_utf8(URL_SAFE_NO_PAD.decode(&c).unwrap())
                .unwrap()
                .replace("1250", "1251"),
        );
        assert!(decode("t_a", "invoices:gross:desc", &edited).is_err());
        for junk in ["", "!!", "bnVsbA", "W10"] {
            assert!(decode("t_a", "x", junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn limits_are_clamped() {
        assert_eq!(clamp_limit(0), 1);
        assert_eq!(clamp_limit(-5), 1);
        assert_eq!(clamp_limit(50), 50);
        assert_eq!(clamp_limit(10_000), MAX_LIMIT);
    }
}
