//! Build Terraform providers in Rust.
//!
//! `tfplugin` speaks Terraform's plugin protocol 6 (the go-plugin handshake,
//! mutual TLS, the gRPC services) and does what every provider needs around
//! it: dynamic values and their msgpack/JSON codecs, schemas, a planning
//! engine (defaults, computed values, plan modifiers, write-only values,
//! private state), the lifecycle-contract checks Terraform would otherwise
//! report as "inconsistent result", diagnostics on attribute paths,
//! `tracing` logs in Terraform's format, and a test harness that drives the
//! real `terraform` CLI. A provider describes its schemas and implements
//! small traits: [`provider::Provider`], [`resource::Resource`],
//! [`data_source::DataSource`], [`ephemeral::EphemeralResource`],
//! [`function::Function`], [`action::Action`].
//!
//! # Quickstart
//!
//! A provider with one resource, `hello_file` (this is
//! `examples/quickstart.rs`). Its `Cargo.toml` needs only `tfplugin`
//! (which re-exports [`async_trait`]):
//!
//! ```toml
//! [dependencies]
//! tfplugin = "0.1"
//! ```
//!
#![doc = concat!("```no_run\n", include_str!("../examples/quickstart.rs"), "```")]
//!
//! Build it, and tell Terraform where it is with a `dev_overrides` block in
//! the CLI configuration (`~/.terraformrc`):
//!
//! ```text
//! cargo build --example terraform-provider-hello   # target/debug/examples/
//!
//! provider_installation {
//!   dev_overrides { "example/hello" = "/path/to/target/debug/examples" }
//!   direct {}
//! }
//! ```
//!
//! Then `terraform plan` and `apply` a configuration with
//! `hello = { source = "example/hello" }` in `required_providers` and a
//! `resource "hello_file" "greeting" { path = "hello.txt", content = "hi" }`.
//!
//! # Next steps
//!
//! - `examples/kv` is a complete provider (nested blocks, sets, sensitive
//!   and write-only values, import, state upgrades, a data source, a
//!   function, an ephemeral resource, an action) with acceptance tests.
//! - [`testing::Workdir`] (feature `testing`) runs the real CLI against your
//!   provider binary in a temporary directory.
//! - `--debug` on a provider binary prints `TF_REATTACH_PROVIDERS` for
//!   attaching Terraform to a provider under a debugger.

pub mod proto {
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}
pub mod action;
pub mod data_source;
pub mod diag;
pub mod ephemeral;
pub mod function;
pub mod genconfig;
pub mod list;
pub mod plan;
pub mod private;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod validate;
pub mod value;
/// The attribute the traits' `async fn`s are implemented with
/// (`#[tfplugin::async_trait]`), re-exported so a provider needs no
/// dependency of its own for it.
pub use async_trait::async_trait;
pub use tokio_util::sync::CancellationToken as Stop;

tokio::task_local! {
    static CURRENT_STOP: Stop;
}

/// The stop token of the operation the calling task serves: cancelled
/// when Terraform asks the provider to stop (Ctrl-C). Operations receive it
/// explicitly too (`ApplyRequest::stop`, ...); this reaches code that is
/// not handed a request, such as retry loops deep in a client layer. Outside
/// an operation it is a token that is never cancelled.
pub fn current_stop() -> Stop {
    CURRENT_STOP.try_with(Stop::clone).unwrap_or_default()
}

/// Runs `fut` with `stop` as its [`current_stop`] (the server does this for
/// every operation; tests of provider code can too).
pub async fn with_stop<F: std::future::Future>(stop: Stop, fut: F) -> F::Output {
    CURRENT_STOP.scope(stop, fut).await
}
pub mod docs;
pub mod logging;
pub mod serve;
pub mod server;
#[cfg(feature = "testing")]
pub mod testing;
