//! List resources: what `terraform query` finds.
//!
//! A `list` block in a `.tfquery.hcl` file names a managed resource type and
//! filters in its `config` block. The provider streams back what it finds:
//! for each object its identity (the managed resource's
//! [`identity`](crate::resource::Resource::identity)), a display name, and,
//! when the block sets `include_resource = true`, the object's full state.
//! `terraform query -generate-config-out=FILE` turns the results into
//! `resource` and `import` blocks.
//!
//! A lister only enumerates: it sends a [`Found`] per object and stops when
//! [`Results::send`] says so (Terraform's `limit` is reached, or Terraform
//! went away). When a result comes without its state and Terraform wants
//! one, the library builds it the way an `import` block would: the managed
//! resource's `import` with the identity, then its `read`.

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::diag::{Diagnostics, Result};
use crate::schema::Schema;
use crate::value::Value;
use crate::Stop;

/// Input to a listing.
pub struct ListRequest {
    /// The `config` block of the `list` block, in [`ListResource::schema`].
    pub config: Value,
    /// Whether Terraform asked for each object's full state.
    pub include_resource: bool,
    /// The most results Terraform takes.
    pub limit: usize,
    pub stop: Stop,
}

/// One object a listing found.
#[derive(Clone, Debug)]
pub struct Found {
    /// A line for people, e.g. `editor (stack a1b2c3, environment dev)`.
    pub display_name: String,
    /// The object's identity, in the managed resource's identity schema.
    pub identity: Value,
    /// The object's state, when the lister has it anyway. Left `None`, the
    /// library imports and reads the object if Terraform asked for it.
    pub state: Option<Value>,
}

/// Where a lister sends what it finds.
pub struct Results {
    tx: mpsc::Sender<Found>,
    sent: usize,
    limit: usize,
}

impl Results {
    pub(crate) fn new(tx: mpsc::Sender<Found>, limit: usize) -> Self {
        Results { tx, sent: 0, limit }
    }

    /// Sends one result. Returns `false` when the listing should end: the
    /// limit is reached or Terraform stopped listening.
    pub async fn send(&mut self, found: Found) -> bool {
        if self.sent >= self.limit || self.tx.send(found).await.is_err() {
            return false;
        }
        self.sent += 1;
        self.sent < self.limit
    }

    /// How many results were sent so far.
    pub fn sent(&self) -> usize {
        self.sent
    }
}

#[async_trait]
pub trait ListResource: Send + Sync + 'static {
    /// The managed resource type this lists, e.g. `example_item`. That
    /// resource must have an identity schema.
    fn type_name(&self) -> &str;

    /// The schema of the `list` block's `config`: the filters.
    fn schema(&self) -> Schema;

    /// Extra validation of the filters (values may be unknown).
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Finds objects and sends each to `results`. An error ends the
    /// listing; what was sent before it stays listed.
    async fn list(&self, req: &ListRequest, results: &mut Results) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(n: &str) -> Found {
        Found {
            display_name: n.into(),
            identity: Value::Null,
            state: None,
        }
    }

    #[tokio::test]
    async fn the_limit_ends_a_listing() {
        let (tx, mut rx) = mpsc::channel(8);
        let mut r = Results::new(tx, 2);
        assert!(r.send(found("a")).await);
        assert!(!r.send(found("b")).await, "the second of two is the last");
        assert!(!r.send(found("c")).await);
        assert_eq!(r.sent(), 2);
        drop(r);
        let mut names = vec![];
        while let Some(f) = rx.recv().await {
            names.push(f.display_name);
        }
        assert_eq!(names, ["a", "b"]);
    }

    #[tokio::test]
    async fn a_listing_ends_when_terraform_goes_away() {
        let (tx, rx) = mpsc::channel(8);
        drop(rx);
        let mut r = Results::new(tx, 100);
        assert!(!r.send(found("a")).await);
        assert_eq!(r.sent(), 0);
    }
}
