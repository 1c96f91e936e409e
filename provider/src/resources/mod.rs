//! Managed resources, one file each.

pub mod registry;
pub mod state_backend;
