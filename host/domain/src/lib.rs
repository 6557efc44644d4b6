//! Papyr's domain model: the canonical invoice output, findings, the decision policy
//! and tenant settings. No IO and no wasmtime here, so every other crate can use it.

pub mod decision;
pub mod model;
pub mod money;
pub mod tenant;

pub use decision::{Decision, DecisionPolicy, decide};
pub use model::{ClassificationOut, FieldsOut, FindingOut, LineItemOut, ProcessOutput, Severity};
pub use money::{Amount, format_minor};
pub use tenant::{TenantFile, VendorRecord};

/// Errors of the domain layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid amount `{0}`: expected a plain decimal such as 1234.56")]
    InvalidAmount(String),
    #[error("invalid date `{0}`: expected YYYY-MM-DD")]
    InvalidDate(String),
    #[error("tenant file: {0}")]
    Tenant(String),
}
