//! Command-line subcommands.
pub mod plugin;
pub mod plugin_dev;
pub mod plugin_remote;
pub mod process;
