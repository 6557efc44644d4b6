//! The data layer of the REST API: tenant-scoped queries and the transactional state
//! changes behind its endpoints. Authentication stays outside: callers pass the
//! acting user and whether that user is an administrator.

pub mod access;
pub mod approvals;
pub mod audit;
pub mod corrections;
pub mod cursor;
pub mod export;
pub mod fields;
pub mod invoices;
pub mod settings;
pub(crate) mod sql;
pub mod vendors_admin;
