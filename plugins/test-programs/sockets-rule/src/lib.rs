//! A fraud rule that tries to open a network connection. Using `std::net` makes the
//! component import `wasi:sockets`, a capability Papyr never grants, so loading and
//! uploading it are refused (host/server/tests/api_plugins.rs).
use papyr_sdk::fraud::Guest;
use papyr_sdk::types::{CheckInput, Finding, RuleInfo, Severity, StageError};

struct Sockets;

impl Guest for Sockets {
    fn rules() -> Vec<RuleInfo> {
        vec![papyr_sdk::rule(
            "test.sockets",
            "Network test program",
            "Tries to reach the network.",
            Severity::Info,
        )]
    }

    fn check(input: CheckInput) -> Result<Vec<Finding>, StageError> {
        let target = format!("10.0.0.{}:80", input.today.day);
        match std::net::TcpStream::connect(target) {
            Ok(_) => Err(StageError::InvalidInput("the network was reachable".into())),
            Err(_) => Ok(Vec::new()),
        }
    }
}

papyr_sdk::fraud::export_fraud_rule!(Sockets);
