//! The Papyr plugin SDK.
//!
//! A plugin is a WebAssembly component implementing one world of the
//! `papyr:pipeline@0.1.0` WIT package (`wit/` at the repository root). This crate gives
//! Rust plugin authors:
//! - the WIT types and host imports ([`types`], [`log`], [`config`], [`history`]),
//!   shared by every world;
//! - one module per stage world, each behind a cargo feature of the same name, with
//!   the `Guest` trait to implement and an export macro (`fraud::export_fraud_rule!`, ...);
//! - helpers that rules need again and again ([`helpers`]): money formatting,
//!   identifier normalisation, IBAN and BIC checks ([`checks`]), configuration parsing.
//!
//! A fraud rule in full (enable the `fraud-rule` feature):
//!
//! ```ignore
//! use papyr_sdk::fraud::Guest;
//! use papyr_sdk::types::*;
//!
//! struct PoRequired;
//!
//! impl Guest for PoRequired {
//!     fn rules() -> Vec<RuleInfo> {
//!         vec![papyr_sdk::rule("tenant.po-required", "PO number required", "...", Severity::Medium)]
//!     }
//!     fn check(input: CheckInput) -> Result<Vec<Finding>, StageError> {
//!         let min: String = papyr_sdk::config_parse("min_amount", "1000.00".to_string())?;
//!         // ... compare with input.invoice.gross_total, return findings ...
//!         Ok(vec![])
//!     }
//! }
//!
//! papyr_sdk::fraud::export_fraud_rule!(PoRequired);
//! ```

wit_bindgen::generate!({
    world: "sdk",
    path: "../../wit",
    generate_unused_types: true,
    additional_derives: [PartialEq],
});

pub use papyr::pipeline::{config, history, log, types};

pub mod checks;
pub mod helpers;
pub use helpers::*;

/// The parse stage world.
#[cfg(feature = "parser")]
pub mod parser {
    wit_bindgen::generate!({
        world: "parser",
        path: "../../wit",
        with: {
            "papyr:pipeline/types@0.1.0": crate::types,
            "papyr:pipeline/log@0.1.0": crate::log,
            "papyr:pipeline/config@0.1.0": crate::config,
        },
        pub_export_macro: true,
        default_bindings_module: "papyr_sdk::parser",
        export_macro_name: "export_parser",
    });
}

/// The classify stage world.
#[cfg(feature = "classifier")]
pub mod classifier {
    wit_bindgen::generate!({
        world: "classifier",
        path: "../../wit",
        with: {
            "papyr:pipeline/types@0.1.0": crate::types,
            "papyr:pipeline/log@0.1.0": crate::log,
            "papyr:pipeline/config@0.1.0": crate::config,
        },
        pub_export_macro: true,
        default_bindings_module: "papyr_sdk::classifier",
        export_macro_name: "export_classifier",
    });
}

/// The extract stage world.
#[cfg(feature = "extractor")]
pub mod extractor {
    wit_bindgen::generate!({
        world: "extractor",
        path: "../../wit",
        with: {
            "papyr:pipeline/types@0.1.0": crate::types,
            "papyr:pipeline/log@0.1.0": crate::log,
            "papyr:pipeline/config@0.1.0": crate::config,
        },
        pub_export_macro: true,
        default_bindings_module: "papyr_sdk::extractor",
        export_macro_name: "export_extractor",
    });
}

/// The fraud-rule world: implement [`fraud::Guest`] and call `export_fraud_rule!`.
#[cfg(feature = "fraud-rule")]
pub mod fraud {
    wit_bindgen::generate!({
        world: "fraud-rule",
        path: "../../wit",
        with: {
            "papyr:pipeline/types@0.1.0": crate::types,
            "papyr:pipeline/log@0.1.0": crate::log,
            "papyr:pipeline/config@0.1.0": crate::config,
            "papyr:pipeline/history@0.1.0": crate::history,
        },
        pub_export_macro: true,
        default_bindings_module: "papyr_sdk::fraud",
        export_macro_name: "export_fraud_rule",
    });
}

/// The report stage world.
#[cfg(feature = "reporter")]
pub mod reporter {
    wit_bindgen::generate!({
        world: "reporter",
        path: "../../wit",
        with: {
            "papyr:pipeline/types@0.1.0": crate::types,
            "papyr:pipeline/log@0.1.0": crate::log,
            "papyr:pipeline/config@0.1.0": crate::config,
        },
        pub_export_macro: true,
        default_bindings_module: "papyr_sdk::reporter",
        export_macro_name: "export_reporter",
    });
}
