//! Papyr built-in report stage: renders the approval report an approver signs as a
//! paginated A4 PDF (header with page x of y, summary, extracted fields, line items,
//! tax breakdown, findings, decision trail, component digests, a reference to the
//! original and a sign-off area).
//!
//! The PDF is written by hand (see [`pdf`]) with the standard Helvetica and Courier
//! fonts, so nothing is embedded and the output is small. Rendering is deterministic:
//! the only time in it is the input's `generated_at`.
pub mod format;
pub mod layout;
pub mod pdf;
pub mod render;

use papyr_sdk::types::{ReportInput, StageError};

struct Report;

impl papyr_sdk::reporter::Guest for Report {
    fn render(input: ReportInput) -> Result<Vec<u8>, StageError> {
        let compress = papyr_sdk::config_parse("compress", true)?;
        Ok(render::render(&input, &render::Options { compress }))
    }
}

papyr_sdk::reporter::export_reporter!(Report);

#[cfg(test)]
mod tests;
