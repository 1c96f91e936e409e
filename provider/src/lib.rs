//! `terraform-provider-onto`: the onto platform on AWS, as a Terraform
//! provider. The binary (`main.rs`) serves [`provider()`]; the docs are
//! generated from it too.

mod actions;
mod aws;
mod cidr;
mod config;
mod data_sources;
mod ephemeral;
#[doc(hidden)]
pub mod fuzzing;
mod identity;
mod lists;
mod objectives;
mod ownership;
pub mod profile;
mod provider;
mod regions;
mod resources;
mod shared;
mod stack;
mod tags;
mod validators;
mod windows;

use std::sync::Arc;

/// The provider's registry address.
pub const ADDRESS: &str = "registry.terraform.io/onto-platform/onto";

/// A fresh, unconfigured provider.
pub fn provider() -> Arc<dyn tfplugin::provider::Provider> {
    Arc::new(provider::Onto::default())
}
