//! Actions (Terraform 1.14+): imperative operations invoked with
//! `terraform apply -invoke=action.TYPE.NAME` or from lifecycle triggers.

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::diag::{Diagnostics, Result};
use crate::schema::Schema;
use crate::value::Value;
use crate::Stop;

/// Sends progress messages that Terraform shows while an action runs.
#[derive(Clone)]
pub struct Progress(pub(crate) mpsc::Sender<String>);

impl Progress {
    /// A progress channel and its receiving end, for driving an action
    /// outside Terraform (tests, tools).
    pub fn channel(buffer: usize) -> (Progress, mpsc::Receiver<String>) {
        let (tx, rx) = mpsc::channel(buffer);
        (Progress(tx), rx)
    }

    pub async fn report(&self, message: impl Into<String>) {
        // A closed channel means Terraform went away; nothing to report to.
        let _ = self.0.send(message.into()).await;
    }
}

#[async_trait]
pub trait Action: Send + Sync + 'static {
    fn type_name(&self) -> &str;

    fn schema(&self) -> Schema;

    /// Checks an invocation at plan time; values may be unknown.
    async fn plan(&self, _config: &Value) -> Result<()> {
        Ok(())
    }

    async fn invoke(&self, config: &Value, progress: &Progress, stop: &Stop) -> Result<()>;

    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
}
