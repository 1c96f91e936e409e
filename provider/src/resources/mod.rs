//! Managed resources: one module each (a folder for the larger ones:
//! schema, typed state, plan rules, and the create/read/update/delete flow
//! over the AWS layer).

pub mod cache;
pub mod cluster;
pub mod db;
pub mod dr_region;
pub mod network;
pub mod registry;
pub mod state_backend;
pub mod telemetry;

/// Reads a plan, prior state or configuration into a resource's typed
/// state (unknown values become `None`).
pub(crate) fn model<T: serde::de::DeserializeOwned>(
    v: &tfplugin::value::Value,
    kind: &str,
) -> tfplugin::diag::Result<T> {
    tfplugin::value::typed::from_value(v).map_err(|e| {
        tfplugin::diag::Diagnostic::error(format!("Invalid {kind} value"), e.to_string()).into()
    })
}

/// A resource's typed state as a value of its schema; `timeouts`, which
/// AWS knows nothing of, comes from `known` (the plan or prior state).
pub(crate) fn to_state<T: serde::Serialize>(
    state: &T,
    schema: &tfplugin::schema::Schema,
    known: &tfplugin::value::Value,
) -> tfplugin::diag::Result<tfplugin::value::Value> {
    let mut v = tfplugin::value::typed::to_value(state, &schema.ty())
        .map_err(|e| tfplugin::diag::Diagnostic::error("Internal error", e.to_string()))?;
    if schema.block.get_block("timeouts").is_some() {
        v.set("timeouts", known.get("timeouts").clone());
    }
    Ok(v)
}
