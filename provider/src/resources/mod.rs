//! Managed resources, one file each.

pub mod cache;
pub mod db;
pub mod network;
pub mod registry;
pub mod state_backend;
