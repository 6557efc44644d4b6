//! The bundled sample invoices and the demo tenant they belong to.
include!(concat!(env!("OUT_DIR"), "/samples.rs"));

/// The demo tenant file shipped with the samples.
pub fn tenant_file() -> Option<&'static [u8]> {
    SAMPLES
        .iter()
        .find(|(n, _)| *n == "tenant.json")
        .map(|(_, b)| *b)
}

/// Documents and their origin sidecars (everything but the tenant file).
pub fn documents() -> impl Iterator<Item = &'static (&'static str, &'static [u8])> {
    SAMPLES.iter().filter(|(n, _)| *n != "tenant.json")
}
