//! The tenant history the rules consult, behind a trait so the rules can be tested
//! natively with an in-memory fake (the host imports only exist inside the host).
use papyr_sdk::history::{PastInvoice, Vendor, VendorQuery};
use papyr_sdk::types::Date;

/// Mirror of the WIT `history` interface.
pub trait History {
    fn find_vendor(&self, query: &VendorQuery) -> Option<Vendor>;
    fn vendors_by_iban(&self, iban: &str) -> Vec<Vendor>;
    fn all_vendors(&self) -> Vec<Vendor>;
    fn invoices_of_vendor(
        &self,
        query: &VendorQuery,
        since: Option<Date>,
        limit: u32,
    ) -> Vec<PastInvoice>;
    fn invoices_by_sha256(&self, sha256: &str) -> Vec<PastInvoice>;
    fn invoices_by_iban(&self, iban: &str, limit: u32) -> Vec<PastInvoice>;
}

/// The real host imports; only callable inside a component.
pub struct HostHistory;

impl History for HostHistory {
    fn find_vendor(&self, query: &VendorQuery) -> Option<Vendor> {
        papyr_sdk::history::find_vendor(query)
    }
    fn vendors_by_iban(&self, iban: &str) -> Vec<Vendor> {
        papyr_sdk::history::vendors_by_iban(iban)
    }
    fn all_vendors(&self) -> Vec<Vendor> {
        papyr_sdk::history::all_vendors()
    }
    fn invoices_of_vendor(
        &self,
        query: &VendorQuery,
        since: Option<Date>,
        limit: u32,
    ) -> Vec<PastInvoice> {
        papyr_sdk::history::invoices_of_vendor(query, since, limit)
    }
    fn invoices_by_sha256(&self, sha256: &str) -> Vec<PastInvoice> {
        papyr_sdk::history::invoices_by_sha256(sha256)
    }
    fn invoices_by_iban(&self, iban: &str, limit: u32) -> Vec<PastInvoice> {
        papyr_sdk::history::invoices_by_iban(iban, limit)
    }
}
