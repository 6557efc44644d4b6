//! The rules, grouped by what they look at. Each group appends findings; a rule
//! that is disabled in the configuration is skipped before it asks the host
//! anything.
use papyr_sdk::types::{Finding, StageError};

use crate::util::Ctx;

mod amount;
mod bank;
mod dates;
pub(crate) mod duplicate;
mod einvoice;
mod ids;
mod math;
mod pdf;
pub(crate) mod sender;
mod vendor;

pub fn run_all(ctx: &Ctx, out: &mut Vec<Finding>) -> Result<(), StageError> {
    duplicate::check(ctx, out);
    bank::check(ctx, out);
    sender::check(ctx, out);
    pdf::check(ctx, out);
    math::check(ctx, out);
    ids::check(ctx, out);
    amount::check(ctx, out)?;
    dates::check(ctx, out);
    vendor::check(ctx, out);
    einvoice::check(ctx, out);
    Ok(())
}

#[cfg(test)]
pub mod test_access {
    pub use super::einvoice::{amount_variants, xml_values};
    pub use super::math::tax_of;
    pub(crate) use super::sender;
}
