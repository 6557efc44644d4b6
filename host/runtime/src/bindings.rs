//! Host bindings for the `papyr:pipeline@0.1.0` WIT package (`wit/`). The fraud-rule
//! world imports every interface, so its bindings define the shared types; the other
//! worlds reuse them.

#[allow(clippy::all, missing_docs)] // generated code
pub mod fraud_rule {
    wasmtime::component::bindgen!({
        world: "papyr:pipeline/fraud-rule",
        path: "../../wit",
        // Stage results are stored between jobs by `papyr serve`.
        additional_derives: [serde::Serialize, serde::Deserialize],
    });
}

pub use fraud_rule::papyr::pipeline::{config, history, log, types};

#[allow(clippy::all, missing_docs)] // generated code
pub mod parser {
    wasmtime::component::bindgen!({
        world: "papyr:pipeline/parser",
        path: "../../wit",
        with: {
            "papyr:pipeline/types": crate::bindings::types,
            "papyr:pipeline/log": crate::bindings::log,
            "papyr:pipeline/config": crate::bindings::config,
        },
    });
}

#[allow(clippy::all, missing_docs)] // generated code
pub mod classifier {
    wasmtime::component::bindgen!({
        world: "papyr:pipeline/classifier",
        path: "../../wit",
        with: {
            "papyr:pipeline/types": crate::bindings::types,
            "papyr:pipeline/log": crate::bindings::log,
            "papyr:pipeline/config": crate::bindings::config,
        },
    });
}

#[allow(clippy::all, missing_docs)] // generated code
pub mod extractor {
    wasmtime::component::bindgen!({
        world: "papyr:pipeline/extractor",
        path: "../../wit",
        with: {
            "papyr:pipeline/types": crate::bindings::types,
            "papyr:pipeline/log": crate::bindings::log,
            "papyr:pipeline/config": crate::bindings::config,
        },
    });
}

#[allow(clippy::all, missing_docs)] // generated code
pub mod reporter {
    wasmtime::component::bindgen!({
        world: "papyr:pipeline/reporter",
        path: "../../wit",
        with: {
            "papyr:pipeline/types": crate::bindings::types,
            "papyr:pipeline/log": crate::bindings::log,
            "papyr:pipeline/config": crate::bindings::config,
        },
    });
}
