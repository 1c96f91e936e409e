//! Managed resources: the small trait a resource implements.
//!
//! Required: [`Resource::schema`], create, read, update and delete. Opt-in:
//! config validation, plan modification, import, state upgrades, state
//! moves and identity. The library does the rest: defaults, unknowns,
//! plan modifiers, contract checks, private state and cancellation.

use async_trait::async_trait;

use crate::diag::{Diagnostic, Diagnostics, Result};
use crate::private::Private;
use crate::schema::{IdentitySchema, Schema};
use crate::value::{AttributePath, Value};
use crate::Stop;

/// Input to create, update and delete.
pub struct ApplyRequest {
    /// Configuration (write-only values are present only here).
    pub config: Value,
    /// The planned new state; `Null` for delete.
    pub planned: Value,
    /// The prior state; `Null` for create.
    pub prior: Value,
    /// Private state, readable and writable.
    pub private: Private,
    /// Cancelled when Terraform asks the provider to stop (Ctrl-C).
    pub stop: Stop,
    /// Warnings to show with the apply result (errors are returned instead).
    pub warnings: Diagnostics,
    pub(crate) partial: Option<Value>,
}

impl ApplyRequest {
    /// Adds a warning to the apply output, e.g. something left behind that
    /// the user should know about although the operation succeeded.
    pub fn warn(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.warnings.push(Diagnostic::warning(summary, detail));
    }

    /// Records what exists so far. If the operation then fails or is
    /// cancelled, this state is saved instead of losing track of a remote
    /// object that was already created.
    pub fn save_partial(&mut self, state: Value) {
        self.partial = Some(state);
    }
}

/// Input to read (refresh).
pub struct ReadRequest {
    pub state: Value,
    pub private: Private,
    pub stop: Stop,
}

/// Input to plan modification.
pub struct PlanRequest {
    pub config: Value,
    /// `Null` when creating.
    pub prior: Value,
    /// The planned state so far; change it to refine the plan. `Null` when
    /// destroying.
    pub plan: Value,
    /// Attribute changes that force replacement; push to add more.
    pub requires_replace: Vec<AttributePath>,
    pub private: Private,
    /// False while the provider configuration still has unknown values.
    pub provider_configured: bool,
    pub stop: Stop,
    /// Warnings to show with the plan (errors are returned instead).
    pub warnings: Diagnostics,
}

impl PlanRequest {
    /// Adds a warning on `path` to the plan output.
    pub fn warn(
        &mut self,
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.warnings
            .push(Diagnostic::warning(summary, detail).at(path));
    }
}

/// Input to import.
pub struct ImportRequest {
    /// The ID given to `terraform import` or an `import` block.
    pub id: String,
    /// The identity given to an `import` block (Terraform 1.12+), if any.
    pub identity: Option<Value>,
    pub stop: Stop,
}

/// Input to a state move from another resource type.
pub struct MoveRequest {
    pub source_provider: String,
    pub source_type: String,
    pub source_version: i64,
    /// The source state as JSON in the source's schema.
    pub source_state: serde_json::Value,
}

#[async_trait]
pub trait Resource: Send + Sync + 'static {
    /// The resource type name, e.g. `example_item`.
    fn type_name(&self) -> &str;

    fn schema(&self) -> Schema;

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value>;

    /// Refreshes state. `Ok(None)` means the remote object is gone.
    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>>;

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value>;

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()>;

    /// Extra validation of configuration (values may be unknown).
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Refines the plan after the engine and attribute modifiers have run.
    /// Also called when destroying (`plan` is `Null`).
    async fn modify_plan(&self, _req: &mut PlanRequest) -> Result<()> {
        Ok(())
    }

    /// Turns an import ID into a state for `read` to complete.
    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let _ = req;
        Err(Diagnostic::error(
            "Import not supported",
            format!("The resource type {} cannot be imported.", self.type_name()),
        )
        .into())
    }

    /// Upgrades state stored under schema `version` (older than the
    /// current one) to a value of the current schema.
    fn upgrade_state(&self, version: i64, state: serde_json::Value) -> Result<Value> {
        let _ = state;
        Err(Diagnostic::error(
            "Unable to upgrade state",
            format!(
                "{} has no upgrade from schema version {version}.",
                self.type_name()
            ),
        )
        .into())
    }

    /// Whether this resource accepts `moved` blocks from other types.
    fn accepts_moves(&self) -> bool {
        false
    }

    /// Converts state from another resource type (see `accepts_moves`).
    fn move_state(&self, req: &MoveRequest) -> Result<Value> {
        Err(Diagnostic::error(
            "Move not supported",
            format!(
                "{} cannot take state from {}.",
                self.type_name(),
                req.source_type
            ),
        )
        .into())
    }

    /// Whether `create` finishes an object that an earlier, failed create
    /// of the same configuration left behind (it finds the object as it
    /// finds one whose create response was lost). Then a failed create's
    /// partial state is not rebuilt from scratch on the next apply: the
    /// tainted object is handed over to the replacement's create instead
    /// of being deleted. Default `false`: a failed create is replaced, as
    /// Terraform does for tainted objects.
    fn resumes_creates(&self) -> bool {
        false
    }

    /// Asked (with the tainted object as `prior`) before a tainted object
    /// is handed over to its replacement's create, for a resource that
    /// [resumes creates](Resource::resumes_creates). `false` when the object
    /// cannot be finished — a create left it failed for good — and must be
    /// deleted and created anew, as Terraform does for tainted objects.
    /// Default `true`.
    async fn resumable(&self, req: &ApplyRequest) -> Result<bool> {
        let _ = req;
        Ok(true)
    }

    /// The identity schema (Terraform 1.12+), when the resource has one.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// The identity of the object described by `state`.
    fn identity(&self, _state: &Value) -> Option<Value> {
        None
    }
}
