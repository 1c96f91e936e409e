//! `terraform-provider-onto`: the onto platform on AWS.

mod aws;
mod config;
mod data_sources;
mod provider;
mod resources;
mod tags;
mod validators;

fn main() -> std::process::ExitCode {
    tfplugin::serve::serve(
        std::sync::Arc::new(provider::Onto::default()),
        tfplugin::serve::Options::new("registry.terraform.io/onto-platform/onto"),
    )
}
