//! Composable attribute plan modifiers, in the spirit of
//! terraform-plugin-framework: each looks at one attribute's config, prior
//! state and planned value and may change the plan or demand replacement.

use crate::diag::Diagnostics;
use crate::value::{AttributePath, Value};

/// What a modifier sees for one attribute.
pub struct ModifyRequest<'a> {
    pub path: &'a AttributePath,
    pub config: &'a Value,
    /// The attribute's value in prior state; `Null` when creating.
    pub state: &'a Value,
    /// True when the resource is being created (no prior state).
    pub creating: bool,
    /// True when the object holding the attribute (the resource, or the
    /// nested block element) exists in prior state, so a null `state` is a
    /// recorded null rather than an element that is new in this plan.
    pub prior_exists: bool,
}

/// What a modifier may change.
pub struct ModifyResponse {
    pub plan: Value,
    pub requires_replace: bool,
    pub diagnostics: Diagnostics,
}

pub trait PlanModifier: Send + Sync {
    /// One line for docs.
    fn description(&self) -> String;
    fn modify(&self, req: &ModifyRequest<'_>, resp: &mut ModifyResponse);
}

/// A computed value left to the provider (unknown in the plan, unset in
/// configuration) is not a configuration change, so it forces nothing.
fn computed_pending(req: &ModifyRequest<'_>, resp: &ModifyResponse) -> bool {
    resp.plan.is_unknown() && req.config.is_null()
}

/// Changing the value replaces the resource.
pub struct RequiresReplace;

impl PlanModifier for RequiresReplace {
    fn description(&self) -> String {
        "Changing this value replaces the resource.".into()
    }

    fn modify(&self, req: &ModifyRequest<'_>, resp: &mut ModifyResponse) {
        if !req.creating && !resp.plan.same(req.state) && !computed_pending(req, resp) {
            resp.requires_replace = true;
        }
    }
}

/// Changing the value replaces the resource when `f(state, plan)` says so.
pub struct RequiresReplaceIf<F>(pub F, pub &'static str);

impl<F> PlanModifier for RequiresReplaceIf<F>
where
    F: Fn(&Value, &Value) -> bool + Send + Sync,
{
    fn description(&self) -> String {
        self.1.to_owned()
    }

    fn modify(&self, req: &ModifyRequest<'_>, resp: &mut ModifyResponse) {
        if !req.creating
            && !resp.plan.same(req.state)
            && !computed_pending(req, resp)
            && (self.0)(req.state, &resp.plan)
        {
            resp.requires_replace = true;
        }
    }
}

/// A computed value that does not change after create keeps its prior value
/// in the plan instead of becoming "(known after apply)". A prior null stays
/// "(known after apply)": an update may fill it in (a part that was missing
/// and is made again).
pub struct UseStateForUnknown;

impl PlanModifier for UseStateForUnknown {
    fn description(&self) -> String {
        "The value does not change after creation.".into()
    }

    fn modify(&self, req: &ModifyRequest<'_>, resp: &mut ModifyResponse) {
        if req.creating || req.state.is_null() || !resp.plan.is_unknown() || req.config.is_unknown()
        {
            return;
        }
        resp.plan = req.state.clone();
    }
}

/// Like [`UseStateForUnknown`], and a prior null is kept too: for a value
/// the remote API reports for some objects and never for others (IOPS of
/// storage without provisioned IOPS), which would otherwise show as a change
/// on every update.
pub struct KeepPriorValue;

impl PlanModifier for KeepPriorValue {
    fn description(&self) -> String {
        "The value does not change after creation, even when it is unset.".into()
    }

    fn modify(&self, req: &ModifyRequest<'_>, resp: &mut ModifyResponse) {
        if !req.prior_exists || !resp.plan.is_unknown() || req.config.is_unknown() {
            return;
        }
        resp.plan = req.state.clone();
    }
}
