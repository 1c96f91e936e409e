//! Managed resources, one file each.

pub mod cache;
pub mod cluster;
pub mod db;
pub mod dr_region;
pub mod network;
pub mod registry;
pub mod state_backend;
pub mod telemetry;

/// Prior state may lack what an import could not know; read it as unset.
pub(crate) fn null_as_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Option::unwrap_or_default)
}
