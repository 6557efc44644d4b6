//! The tenant-history capability: vendors and earlier invoices of one tenant.
//! The database implements it in `papyr serve`; [`MemoryHistory`] serves
//! `papyr process`, where the files given are one tenant's stream.
use crate::bindings::history::{PastInvoice, Vendor, VendorQuery};
use crate::bindings::types::Date;
use std::sync::RwLock;

/// Read-only history of one tenant. Every method is scoped to that tenant by the
/// implementation; a plugin cannot name another tenant.
pub trait History: Send + Sync {
    fn find_vendor(&self, query: &VendorQuery) -> Option<Vendor>;
    fn vendors_by_iban(&self, iban: &str) -> Vec<Vendor>;
    fn all_vendors(&self) -> Vec<Vendor>;
    fn invoices_of_vendor(
        &self,
        query: &VendorQuery,
        since: Option<&Date>,
        limit: u32,
    ) -> Vec<PastInvoice>;
    fn invoices_by_sha256(&self, sha256: &str) -> Vec<PastInvoice>;
    fn invoices_by_iban(&self, iban: &str, limit: u32) -> Vec<PastInvoice>;
}

/// Upper-case alphanumerics only: how tax ids and IBANs are compared.
pub fn norm_id(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Lower-case words without legal-form noise, for fuzzy vendor-name matching.
pub fn norm_name(s: &str) -> String {
    const FORMS: &[&str] = &[
        "gmbh", "ag", "kg", "ohg", "ug", "mbh", "co", "ltd", "limited", "llc", "inc", "plc", "sa",
        "sas", "sarl", "sl", "srl", "spa", "bv", "nv", "bvba", "the", "und", "and", "&",
    ];
    let lower = s.to_lowercase();
    lower
        .split(|c: char| !c.is_alphanumeric() && c != '&')
        .filter(|w| !w.is_empty() && !FORMS.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

fn date_key(d: &Date) -> (u16, u8, u8) {
    (d.year, d.month, d.day)
}

/// An in-memory history: a vendor master plus the invoices recorded so far.
#[derive(Default)]
pub struct MemoryHistory {
    vendors: Vec<Vendor>,
    invoices: RwLock<Vec<PastInvoice>>,
}

impl MemoryHistory {
    pub fn new(vendors: Vec<Vendor>) -> MemoryHistory {
        let vendors = vendors
            .into_iter()
            .map(|mut v| {
                v.ibans = v.ibans.iter().map(|i| norm_id(i)).collect();
                v.domains = v.domains.iter().map(|d| d.trim().to_lowercase()).collect();
                v
            })
            .collect();
        MemoryHistory {
            vendors,
            invoices: RwLock::new(Vec::new()),
        }
    }

    /// Record a processed invoice so later documents are checked against it.
    pub fn record(&self, invoice: PastInvoice) {
        self.invoices
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(invoice);
    }

    fn vendor_matches(&self, v: &Vendor, q: &VendorQuery) -> bool {
        q.tax_id
            .as_deref()
            .is_some_and(|t| v.tax_ids.iter().any(|x| norm_id(x) == norm_id(t)))
            || q.iban
                .as_deref()
                .is_some_and(|i| v.ibans.contains(&norm_id(i)))
            || q.domain
                .as_deref()
                .is_some_and(|d| v.domains.iter().any(|x| x.eq_ignore_ascii_case(d)))
            || q.name
                .as_deref()
                .is_some_and(|n| !norm_name(n).is_empty() && norm_name(n) == norm_name(&v.name))
    }

    fn invoice_matches(&self, inv: &PastInvoice, q: &VendorQuery, vendor: Option<&Vendor>) -> bool {
        if let (Some(v), Some(id)) = (vendor, inv.vendor_id.as_deref()) {
            return v.id == id;
        }
        if let (Some(t), Some(it)) = (q.tax_id.as_deref(), inv.vendor_tax_id.as_deref()) {
            return norm_id(t) == norm_id(it);
        }
        match (q.name.as_deref(), inv.vendor_name.as_deref()) {
            (Some(n), Some(iname)) => !norm_name(n).is_empty() && norm_name(n) == norm_name(iname),
            _ => false,
        }
    }
}

impl History for MemoryHistory {
    fn find_vendor(&self, q: &VendorQuery) -> Option<Vendor> {
        // Strongest key first: tax id, then IBAN, then domain, then name.
        let by = |f: &dyn Fn(&Vendor) -> bool| self.vendors.iter().find(|v| f(v)).cloned();
        let tax = q.tax_id.as_deref().map(norm_id);
        let iban = q.iban.as_deref().map(norm_id);
        tax.as_ref()
            .and_then(|t| by(&|v| v.tax_ids.iter().any(|x| norm_id(x) == *t)))
            .or_else(|| iban.as_ref().and_then(|i| by(&|v| v.ibans.contains(i))))
            .or_else(|| {
                q.domain
                    .as_deref()
                    .and_then(|d| by(&|v| v.domains.iter().any(|x| x.eq_ignore_ascii_case(d))))
            })
            .or_else(|| {
                q.name
                    .as_deref()
                    .map(norm_name)
                    .filter(|n| !n.is_empty())
                    .and_then(|n| by(&|v| norm_name(&v.name) == n))
            })
    }

    fn vendors_by_iban(&self, iban: &str) -> Vec<Vendor> {
        let i = norm_id(iban);
        self.vendors
            .iter()
            .filter(|v| v.ibans.contains(&i))
            .cloned()
            .collect()
    }

    fn all_vendors(&self) -> Vec<Vendor> {
        self.vendors.iter().take(10_000).cloned().collect()
    }

    fn invoices_of_vendor(
        &self,
        q: &VendorQuery,
        since: Option<&Date>,
        limit: u32,
    ) -> Vec<PastInvoice> {
        let vendor = self.vendors.iter().find(|v| self.vendor_matches(v, q));
        let invoices = self.invoices.read().unwrap_or_else(|e| e.into_inner());
        invoices
            .iter()
            .rev()
            .filter(|inv| self.invoice_matches(inv, q, vendor))
            .filter(|inv| match (since, inv.issue_date.as_ref()) {
                (Some(s), Some(d)) => date_key(d) >= date_key(s),
                (Some(_), None) => false,
                (None, _) => true,
            })
            .take(limit as usize)
            .cloned()
            .collect()
    }

    fn invoices_by_sha256(&self, sha256: &str) -> Vec<PastInvoice> {
        let invoices = self.invoices.read().unwrap_or_else(|e| e.into_inner());
        invoices
            .iter()
            .filter(|i| i.sha256.eq_ignore_ascii_case(sha256))
            .cloned()
            .collect()
    }

    fn invoices_by_iban(&self, iban: &str, limit: u32) -> Vec<PastInvoice> {
        let i = norm_id(iban);
        let invoices = self.invoices.read().unwrap_or_else(|e| e.into_inner());
        invoices
            .iter()
            .rev()
            .filter(|inv| inv.iban.as_deref().is_some_and(|x| norm_id(x) == i))
            .take(limit as usize)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_ignore_legal_forms() {
        assert_eq!(norm_name("ACME GmbH"), norm_name("Acme"));
        assert_ne!(norm_name("Acme Tools"), norm_name("Acme"));
    }
}
