//! What every resource, data source and action receives: the configured
//! AWS access, set once the provider configuration is known.

use std::sync::{Arc, OnceLock};

use tfplugin::diag::{Diagnostic, Result};

use crate::aws::Aws;

/// The configured AWS access, shared by every type of one provider.
#[derive(Clone, Default)]
pub struct Shared(Arc<OnceLock<Aws>>);

impl Shared {
    /// `None` while the provider configuration is unknown (planning only).
    pub fn get(&self) -> Option<&Aws> {
        self.0.get()
    }

    pub fn require(&self) -> Result<&Aws> {
        self.get().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "The onto provider configuration is not known yet; this operation needs it.",
            )
            .into()
        })
    }

    /// Called once, by the provider's configure.
    pub(crate) fn set(&self, aws: Aws) {
        let _ = self.0.set(aws);
    }
}
