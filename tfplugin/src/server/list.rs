//! `ListResource`: runs a lister and streams what it finds, one event per
//! object, building full states where Terraform asks for them.

use std::sync::Arc;

use tokio::sync::mpsc;
use tonic::codegen::BoxStream;
use tonic::Status;

use super::{collect, convert, one, unknown_type, Inner};
use crate::diag::{Diagnostic, Diagnostics};
use crate::list::{Found, ListRequest, Results};
use crate::plan;
use crate::private::Private;
use crate::proto::tfplugin6 as pb;
use crate::resource::{ImportRequest, ReadRequest};
use crate::value::{Type, Value};

use pb::list_resource::Event;

/// Terraform's own default when a `list` block sets no `limit`.
const DEFAULT_LIMIT: usize = 100;

pub(super) fn stream(s: Arc<Inner>, req: pb::list_resource::Request) -> BoxStream<Event> {
    let (tx, rx) = mpsc::channel::<Result<Event, Status>>(16);
    tokio::spawn(async move {
        let diags = run(&s, &req, &tx).await;
        if !diags.is_empty() {
            let _ = tx.send(Ok(failure(diags))).await;
        }
    });
    Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))
}

/// An event that carries only diagnostics.
fn failure(diags: Diagnostics) -> Event {
    Event {
        diagnostic: convert::diagnostics(diags),
        ..Event::default()
    }
}

async fn run(
    s: &Inner,
    req: &pb::list_resource::Request,
    tx: &mpsc::Sender<Result<Event, Status>>,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let Some(lister) = s.lists.get(&req.type_name) else {
        return unknown_type("list resource", &req.type_name);
    };
    let Some(resource) = collect(s.resource(&req.type_name), &mut diags) else {
        return diags;
    };
    let Some((_, identity_ty)) = s.identities.get(&req.type_name) else {
        diags.error(
            "List resource without identity",
            format!(
                "{} has no identity schema, which every listed type needs. This is a bug in the provider.",
                req.type_name
            ),
        );
        return diags;
    };
    let Some(config) = one(
        convert::decode(req.config.as_ref(), &lister.ty, "list configuration"),
        &mut diags,
    ) else {
        return diags;
    };
    let lreq = ListRequest {
        config,
        include_resource: req.include_resource_object,
        limit: usize::try_from(req.limit)
            .ok()
            .filter(|&n| n > 0)
            .unwrap_or(DEFAULT_LIMIT),
        stop: s.stop_token(),
    };
    let (ftx, frx) = mpsc::channel::<Found>(16);
    let listing = async {
        let mut results = Results::new(ftx, lreq.limit);
        s.guarded("ListResource", lister.imp.list(&lreq, &mut results))
            .await
    };
    let forwarding = async move {
        // The receiver lives in here: when Terraform stops reading, it is
        // dropped, and the lister's next send says the listing is over.
        let mut frx = frx;
        while let Some(found) = frx.recv().await {
            let event = event(s, req, resource, identity_ty, found).await;
            if tx.send(Ok(event)).await.is_err() {
                break;
            }
        }
    };
    let (listed, ()) = tokio::join!(listing, forwarding);
    if let Err(d) = listed {
        diags.extend(d);
    }
    diags
}

async fn event(
    s: &Inner,
    req: &pb::list_resource::Request,
    resource: &super::Entry<dyn crate::resource::Resource>,
    identity_ty: &Type,
    found: Found,
) -> Event {
    let mut diags = Diagnostics::new();
    let Some(identity) = one(
        convert::encode(&found.identity, identity_ty, "identity"),
        &mut diags,
    ) else {
        return failure(diags);
    };
    let mut event = Event {
        identity: Some(pb::ResourceIdentityData {
            identity_data: Some(identity),
        }),
        display_name: found.display_name.clone(),
        ..Event::default()
    };
    if req.include_resource_object {
        let state = match found.state {
            Some(state) => Some(state),
            None => collect(
                import_and_read(s, resource, found.identity).await,
                &mut diags,
            ),
        };
        if let Some(state) = state {
            event.resource_object = one(convert::encode(&state, &resource.ty, "state"), &mut diags);
        }
    }
    event.diagnostic = convert::diagnostics(diags);
    event
}

/// The state an `import` block with this identity would produce.
async fn import_and_read(
    s: &Inner,
    resource: &super::Entry<dyn crate::resource::Resource>,
    identity: Value,
) -> Result<Value, Diagnostics> {
    let ireq = ImportRequest {
        id: String::new(),
        identity: Some(identity),
        stop: s.stop_token(),
    };
    let state = s
        .guarded("ListResource import", resource.imp.import(&ireq))
        .await?;
    let mut private = Private::default();
    private.mark_imported();
    let mut rreq = ReadRequest {
        state,
        private,
        stop: s.stop_token(),
    };
    let read = s
        .guarded("ListResource read", resource.imp.read(&mut rreq))
        .await?;
    let Some(mut state) = read else {
        return Err(Diagnostic::error(
            "Listed object is gone",
            "The object was deleted while it was being listed.",
        )
        .into());
    };
    plan::strip_write_only(&resource.schema.block, &mut state);
    Ok(state)
}

/// A `limit` that would list nothing (Terraform sends its default, 100,
/// when the `list` block sets none).
pub(super) fn check_limit(limit: Option<&pb::DynamicValue>) -> Vec<pb::Diagnostic> {
    let mut diags = Diagnostics::new();
    if let Ok(v) = convert::decode(limit, &Type::Number, "limit") {
        if v.as_i64().is_some_and(|n| n < 1) {
            diags.push(Diagnostic::error(
                "Invalid limit",
                format!(
                    "limit must be at least 1, not {}.",
                    v.as_i64().unwrap_or_default()
                ),
            ));
        }
    }
    convert::diagnostics(diags)
}
