//! The `tfplugin6.Provider` gRPC service: decodes requests, runs the
//! planning engine and the provider's code, checks the lifecycle contract
//! and encodes responses. Panics in provider code become error diagnostics.

mod convert;
mod list;
mod resume;

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};
use tracing::{debug, error};

use crate::action::{Action, Progress};
use crate::data_source::DataSource;
use crate::diag::{Diagnostic, Diagnostics};
use crate::ephemeral::EphemeralResource;
use crate::function::{Function, Signature};
use crate::list::ListResource;
use crate::plan;
use crate::private::Private;
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as ProviderRpc;
use crate::provider::{ConfigureRequest, Provider};
use crate::resource::{
    ApplyRequest, ImportRequest, MoveRequest, PlanRequest, ReadRequest, Resource,
};
use crate::schema::{IdentitySchema, Schema};
use crate::validate::check_config;
use crate::value::{self, AttributePath, Type, Value};
use crate::Stop;

pub use crate::proto::tfplugin6::provider_server::ProviderServer;

/// A registered type: implementation plus its schema, computed once.
struct Entry<T: ?Sized> {
    imp: Arc<T>,
    schema: Schema,
    ty: Type,
}

impl<T: ?Sized> Entry<T> {
    fn new(imp: Arc<T>, schema: Schema) -> Self {
        let ty = schema.ty();
        Entry { imp, schema, ty }
    }
}

/// The provider service. Cheap to clone.
#[derive(Clone)]
pub struct ProviderService {
    inner: Arc<Inner>,
}

struct Inner {
    provider: Arc<dyn Provider>,
    provider_schema: Entry<dyn Provider>,
    resources: HashMap<String, Entry<dyn Resource>>,
    identities: HashMap<String, (IdentitySchema, Type)>,
    data_sources: HashMap<String, Entry<dyn DataSource>>,
    ephemerals: HashMap<String, Entry<dyn EphemeralResource>>,
    actions: HashMap<String, Entry<dyn Action>>,
    lists: HashMap<String, Entry<dyn ListResource>>,
    functions: HashMap<String, (Arc<dyn Function>, Signature)>,
    schema_response: pb::get_provider_schema::Response,
    capabilities: pb::ServerCapabilities,
    stop: Mutex<Stop>,
    config_known: AtomicBool,
}

fn index<T: ?Sized>(
    items: Vec<Arc<T>>,
    name: impl Fn(&T) -> String,
    schema: impl Fn(&T) -> Schema,
) -> HashMap<String, Entry<T>> {
    items
        .into_iter()
        .map(|imp| {
            let s = schema(&imp);
            (name(&imp), Entry::new(imp, s))
        })
        .collect()
}

impl ProviderService {
    pub fn new(provider: Arc<dyn Provider>) -> Self {
        let provider_schema = Entry::new(provider.clone(), provider.schema());
        let resources = index(
            provider.resources(),
            |r| r.type_name().to_owned(),
            |r| r.schema(),
        );
        let identities = resources
            .iter()
            .filter_map(|(n, e)| {
                e.imp
                    .identity_schema()
                    .map(|s| (n.clone(), (s.clone(), s.ty())))
            })
            .collect();
        let data_sources = index(
            provider.data_sources(),
            |r| r.type_name().to_owned(),
            |r| r.schema(),
        );
        let ephemerals = index(
            provider.ephemeral_resources(),
            |r| r.type_name().to_owned(),
            |r| r.schema(),
        );
        let actions = index(
            provider.actions(),
            |r| r.type_name().to_owned(),
            |r| r.schema(),
        );
        let lists = index(
            provider.list_resources(),
            |r| r.type_name().to_owned(),
            |r| r.schema(),
        );
        let functions: HashMap<_, _> = provider
            .functions()
            .into_iter()
            .map(|f| (f.name().to_owned(), (f.clone(), f.signature())))
            .collect();
        let capabilities = pb::ServerCapabilities {
            plan_destroy: true,
            get_provider_schema_optional: true,
            move_resource_state: resources.values().any(|e| e.imp.accepts_moves()),
            generate_resource_config: true,
        };
        let schema_response = pb::get_provider_schema::Response {
            provider: Some(convert::schema(&provider_schema.schema)),
            resource_schemas: resources
                .iter()
                .map(|(n, e)| (n.clone(), convert::schema(&e.schema)))
                .collect(),
            data_source_schemas: data_sources
                .iter()
                .map(|(n, e)| (n.clone(), convert::schema(&e.schema)))
                .collect(),
            functions: functions
                .iter()
                .map(|(n, (_, s))| (n.clone(), convert::function(s)))
                .collect(),
            ephemeral_resource_schemas: ephemerals
                .iter()
                .map(|(n, e)| (n.clone(), convert::schema(&e.schema)))
                .collect(),
            action_schemas: actions
                .iter()
                .map(|(n, e)| {
                    (
                        n.clone(),
                        pb::ActionSchema {
                            schema: Some(convert::schema(&e.schema)),
                        },
                    )
                })
                .collect(),
            list_resource_schemas: lists
                .iter()
                .map(|(n, e)| (n.clone(), convert::schema(&e.schema)))
                .collect(),
            server_capabilities: Some(capabilities),
            ..Default::default()
        };
        ProviderService {
            inner: Arc::new(Inner {
                provider,
                provider_schema,
                resources,
                identities,
                data_sources,
                ephemerals,
                actions,
                lists,
                functions,
                schema_response,
                capabilities,
                stop: Mutex::new(Stop::new()),
                config_known: AtomicBool::new(true),
            }),
        }
    }

    /// Cancels the stop token of every operation in flight; later requests
    /// get a fresh token.
    pub fn cancel_in_flight(&self) {
        if let Ok(mut stop) = self.inner.stop.lock() {
            std::mem::take(&mut *stop).cancel();
        }
    }

    /// The gRPC server for this service, with 256 MiB message limits.
    pub fn into_server(self) -> ProviderServer<Self> {
        const LIMIT: usize = 256 << 20;
        ProviderServer::new(self)
            .max_decoding_message_size(LIMIT)
            .max_encoding_message_size(LIMIT)
    }
}

impl Inner {
    fn stop_token(&self) -> Stop {
        self.stop.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Runs provider code: a panic becomes a diagnostic, and the code sees
    /// this operation's stop token as [`crate::current_stop`].
    async fn guarded<T>(
        &self,
        what: &str,
        fut: impl Future<Output = Result<T, Diagnostics>>,
    ) -> Result<T, Diagnostics> {
        crate::with_stop(self.stop_token(), unwind_guarded(what, fut)).await
    }

    fn resource(&self, name: &str) -> Result<&Entry<dyn Resource>, Diagnostics> {
        self.resources
            .get(name)
            .ok_or_else(|| unknown_type("resource", name))
    }

    fn identity(
        &self,
        type_name: &str,
        r: &dyn Resource,
        state: &Value,
    ) -> Option<pb::ResourceIdentityData> {
        let (_, ty) = self.identities.get(type_name)?;
        if state.is_null() {
            return None;
        }
        let id = r.identity(state)?;
        convert::encode(&id, ty, "identity")
            .ok()
            .map(|d| pb::ResourceIdentityData {
                identity_data: Some(d),
            })
    }
}

fn unknown_type(kind: &str, name: &str) -> Diagnostics {
    Diagnostic::error(
        format!("Unknown {kind} type"),
        format!("This provider has no {kind} type {name:?}."),
    )
    .into()
}

/// Runs provider code, turning a panic into an error diagnostic so the
/// plugin keeps serving.
async fn unwind_guarded<T>(
    what: &str,
    fut: impl Future<Output = Result<T, Diagnostics>>,
) -> Result<T, Diagnostics> {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(r) => r,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            error!(operation = what, panic = %msg, "provider code panicked");
            Err(Diagnostic::error(
                "Provider error",
                format!("The provider crashed during {what}: {msg}. This is a bug in the provider; the plugin is still running."),
            )
            .into())
        }
    }
}

/// Collects diagnostics from a fallible step into `diags`.
fn collect<T>(r: Result<T, Diagnostics>, diags: &mut Diagnostics) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            diags.extend(e);
            None
        }
    }
}

fn one<T>(r: Result<T, Diagnostic>, diags: &mut Diagnostics) -> Option<T> {
    collect(r.map_err(Diagnostics::from), diags)
}

fn deferred(reason: pb::deferred::Reason) -> Option<pb::Deferred> {
    Some(pb::Deferred {
        reason: reason as i32,
    })
}

fn deferral_allowed(c: &Option<pb::ClientCapabilities>) -> bool {
    c.as_ref().is_some_and(|c| c.deferral_allowed)
}

/// Decodes raw state JSON (`UpgradeResourceState`, `MoveResourceState`).
fn raw_json(raw: &Option<pb::RawState>) -> Result<serde_json::Value, Diagnostics> {
    let Some(raw) = raw else {
        return Ok(serde_json::Value::Null);
    };
    if raw.json.is_empty() {
        if raw.flatmap.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        return Err(Diagnostic::error(
            "Unsupported state format",
            "This state was written in the legacy flatmap format, which this provider cannot read.",
        )
        .into());
    }
    serde_json::from_slice(&raw.json).map_err(|e| {
        Diagnostic::error(
            "Unable to read stored state",
            format!("The state is not valid JSON: {e}"),
        )
        .into()
    })
}

/// Validates a configuration for a registered type: decoding, attribute
/// validators on their exact paths, then the type's own checks.
fn validate_config<T: ?Sized>(
    entry: Option<&Entry<T>>,
    kind: &str,
    type_name: &str,
    config: Option<&pb::DynamicValue>,
    write_only_allowed: bool,
    custom: impl Fn(&T, &Value, &mut Diagnostics),
) -> Vec<pb::Diagnostic> {
    let mut diags = Diagnostics::new();
    match entry {
        None => diags.extend(unknown_type(kind, type_name)),
        Some(e) => {
            if let Some(config) = one(convert::decode(config, &e.ty, "configuration"), &mut diags) {
                check_config(
                    &e.schema.block,
                    &config,
                    &AttributePath::root(),
                    write_only_allowed,
                    &mut diags,
                );
                let checked = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    let mut own = Diagnostics::new();
                    custom(&e.imp, &config, &mut own);
                    own
                }));
                match checked {
                    Ok(own) => diags.extend(own),
                    Err(_) => diags.error(
                        "Provider error",
                        format!("The provider crashed validating {type_name}. This is a bug in the provider."),
                    ),
                }
            }
        }
    }
    convert::diagnostics(diags)
}

type RpcResult<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl ProviderRpc for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> RpcResult<pb::get_metadata::Response> {
        use pb::get_metadata as m;
        let s = &self.inner;
        Ok(Response::new(m::Response {
            server_capabilities: Some(s.capabilities),
            resources: s
                .resources
                .keys()
                .map(|n| m::ResourceMetadata {
                    type_name: n.clone(),
                })
                .collect(),
            data_sources: s
                .data_sources
                .keys()
                .map(|n| m::DataSourceMetadata {
                    type_name: n.clone(),
                })
                .collect(),
            ephemeral_resources: s
                .ephemerals
                .keys()
                .map(|n| m::EphemeralMetadata {
                    type_name: n.clone(),
                })
                .collect(),
            functions: s
                .functions
                .keys()
                .map(|n| m::FunctionMetadata { name: n.clone() })
                .collect(),
            actions: s
                .actions
                .keys()
                .map(|n| m::ActionMetadata {
                    type_name: n.clone(),
                })
                .collect(),
            list_resources: s
                .lists
                .keys()
                .map(|n| m::ListResourceMetadata {
                    type_name: n.clone(),
                })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> RpcResult<pb::get_provider_schema::Response> {
        Ok(Response::new(self.inner.schema_response.clone()))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> RpcResult<pb::get_resource_identity_schemas::Response> {
        Ok(Response::new(pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .inner
                .identities
                .iter()
                .map(|(n, (s, _))| (n.clone(), convert::identity_schema(s)))
                .collect(),
            diagnostics: Vec::new(),
        }))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> RpcResult<pb::validate_provider_config::Response> {
        let req = req.into_inner();
        let e = Some(&self.inner.provider_schema);
        let diagnostics =
            validate_config(e, "provider", "", req.config.as_ref(), true, |p, c, d| {
                p.validate(c, d)
            });
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics,
        }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> RpcResult<pb::validate_resource_config::Response> {
        let req = req.into_inner();
        let write_only = req
            .client_capabilities
            .as_ref()
            .is_some_and(|c| c.write_only_attributes_allowed);
        let e = self.inner.resources.get(&req.type_name);
        let diagnostics = validate_config(
            e,
            "resource",
            &req.type_name,
            req.config.as_ref(),
            write_only,
            |r, c, d| r.validate(c, d),
        );
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics,
        }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> RpcResult<pb::validate_data_resource_config::Response> {
        let req = req.into_inner();
        let e = self.inner.data_sources.get(&req.type_name);
        let diagnostics = validate_config(
            e,
            "data source",
            &req.type_name,
            req.config.as_ref(),
            true,
            |r, c, d| r.validate(c, d),
        );
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics,
        }))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> RpcResult<pb::validate_ephemeral_resource_config::Response> {
        let req = req.into_inner();
        let e = self.inner.ephemerals.get(&req.type_name);
        let diagnostics = validate_config(
            e,
            "ephemeral resource",
            &req.type_name,
            req.config.as_ref(),
            true,
            |r, c, d| r.validate(c, d),
        );
        Ok(Response::new(
            pb::validate_ephemeral_resource_config::Response { diagnostics },
        ))
    }

    async fn validate_action_config(
        &self,
        req: Request<pb::validate_action_config::Request>,
    ) -> RpcResult<pb::validate_action_config::Response> {
        let req = req.into_inner();
        let e = self.inner.actions.get(&req.type_name);
        let diagnostics = validate_config(
            e,
            "action",
            &req.type_name,
            req.config.as_ref(),
            true,
            |r, c, d| r.validate(c, d),
        );
        Ok(Response::new(pb::validate_action_config::Response {
            diagnostics,
        }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> RpcResult<pb::upgrade_resource_state::Response> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        let mut upgraded = None;
        if let Some(e) = collect(self.inner.resource(&req.type_name), &mut diags) {
            let current = e.schema.version;
            let state = collect(raw_json(&req.raw_state), &mut diags).and_then(|json| {
                if req.version == current {
                    one(
                        value::from_json_value(&json, &e.ty).map_err(|err| {
                            Diagnostic::error("Unable to read stored state", format!("The stored state does not match the schema: {err}"))
                        }),
                        &mut diags,
                    )
                } else if req.version > current {
                    diags.error(
                        "State from a newer provider",
                        format!(
                            "This {} state has schema version {}, but this provider knows only up to {current}. Use the newer provider version that wrote it.",
                            req.type_name, req.version
                        ),
                    );
                    None
                } else {
                    debug!(type_name = %req.type_name, from = req.version, to = current, "upgrading state");
                    let upgraded = std::panic::catch_unwind(AssertUnwindSafe(|| e.imp.upgrade_state(req.version, json)))
                        .unwrap_or_else(|_| {
                            Err(Diagnostic::error(
                                "Provider error",
                                "The provider crashed upgrading stored state. This is a bug in the provider.",
                            )
                            .into())
                        });
                    collect(upgraded, &mut diags)
                }
            });
            if let Some(state) = state {
                upgraded = one(convert::encode(&state, &e.ty, "upgraded state"), &mut diags);
            }
        }
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state: upgraded,
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> RpcResult<pb::upgrade_resource_identity::Response> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        let mut upgraded = None;
        match self.inner.identities.get(&req.type_name) {
            None => diags.extend(unknown_type("resource identity", &req.type_name)),
            Some((schema, ty)) if schema.version == req.version => {
                if let Some(json) = collect(raw_json(&req.raw_identity), &mut diags) {
                    let v = value::from_json_value(&json, ty).map_err(|e| {
                        Diagnostic::error("Unable to read stored identity", e.to_string())
                    });
                    if let Some(v) = one(v, &mut diags) {
                        upgraded = one(convert::encode(&v, ty, "identity"), &mut diags).map(|d| {
                            pb::ResourceIdentityData {
                                identity_data: Some(d),
                            }
                        });
                    }
                }
            }
            Some((schema, _)) => diags.error(
                "Unable to upgrade identity",
                format!(
                    "{} identity version {} cannot be upgraded to {}.",
                    req.type_name, req.version, schema.version
                ),
            ),
        }
        Ok(Response::new(pb::upgrade_resource_identity::Response {
            upgraded_identity: upgraded,
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> RpcResult<pb::configure_provider::Response> {
        let req = req.into_inner();
        let s = &self.inner;
        let mut diags = Diagnostics::new();
        if let Some(config) = one(
            convert::decode(
                req.config.as_ref(),
                &s.provider_schema.ty,
                "provider configuration",
            ),
            &mut diags,
        ) {
            let creq = ConfigureRequest {
                config,
                terraform_version: req.terraform_version,
            };
            s.config_known.store(creq.is_known(), Ordering::Relaxed);
            collect(
                s.guarded("ConfigureProvider", s.provider.configure(creq))
                    .await,
                &mut diags,
            );
        }
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> RpcResult<pb::read_resource::Response> {
        let req = req.into_inner();
        debug!(tf_rpc = "ReadResource", tf_resource_type = %req.type_name, "handling request");
        let s = &self.inner;
        let mut diags = Diagnostics::new();
        let mut resp = pb::read_resource::Response {
            private: req.private.clone(),
            ..Default::default()
        };
        let Some(e) = collect(s.resource(&req.type_name), &mut diags) else {
            resp.diagnostics = convert::diagnostics(diags);
            return Ok(Response::new(resp));
        };
        let Some(state) = one(
            convert::decode(req.current_state.as_ref(), &e.ty, "state"),
            &mut diags,
        ) else {
            resp.diagnostics = convert::diagnostics(diags);
            return Ok(Response::new(resp));
        };
        resp.new_state = req.current_state.clone();
        resp.new_identity = req.current_identity.clone();
        if !s.config_known.load(Ordering::Relaxed) && deferral_allowed(&req.client_capabilities) {
            resp.deferred = deferred(pb::deferred::Reason::ProviderConfigUnknown);
            return Ok(Response::new(resp));
        }
        let mut rreq = ReadRequest {
            state,
            private: Private::from_bytes(&req.private),
            stop: s.stop_token(),
        };
        match s.guarded("ReadResource", e.imp.read(&mut rreq)).await {
            Ok(new) => {
                let mut new = new.unwrap_or(Value::Null);
                plan::strip_write_only(&e.schema.block, &mut new);
                if let Some(p) = plan::first_unknown(&new, &AttributePath::root()) {
                    diags.error_at(
                        p.clone(),
                        "Provider returned an unknown value from read",
                        format!("{} read left {p} unknown.", req.type_name),
                    );
                } else if let Some(enc) = one(convert::encode(&new, &e.ty, "state"), &mut diags) {
                    resp.new_identity = s
                        .identity(&req.type_name, e.imp.as_ref(), &new)
                        .or(resp.new_identity);
                    resp.new_state = Some(enc);
                    resp.private = rreq.private.to_bytes();
                }
            }
            Err(d) => diags.extend(d),
        }
        resp.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(resp))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> RpcResult<pb::plan_resource_change::Response> {
        let req = req.into_inner();
        debug!(tf_rpc = "PlanResourceChange", tf_resource_type = %req.type_name, "handling request");
        let s = &self.inner;
        let mut diags = Diagnostics::new();
        let mut resp = pb::plan_resource_change::Response::default();
        let decoded = collect(s.resource(&req.type_name), &mut diags).and_then(|e| {
            let prior = one(
                convert::decode(req.prior_state.as_ref(), &e.ty, "prior state"),
                &mut diags,
            )?;
            let proposed = one(
                convert::decode(req.proposed_new_state.as_ref(), &e.ty, "proposed state"),
                &mut diags,
            )?;
            let config = one(
                convert::decode(req.config.as_ref(), &e.ty, "configuration"),
                &mut diags,
            )?;
            Some((e, prior, proposed, config))
        });
        let Some((e, prior, proposed, config)) = decoded else {
            resp.diagnostics = convert::diagnostics(diags);
            return Ok(Response::new(resp));
        };
        let configured = s.config_known.load(Ordering::Relaxed);
        let destroying = proposed.is_null();
        let outcome = if destroying {
            plan::PlanOutcome {
                plan: Value::Null,
                ..Default::default()
            }
        } else {
            let imported = Private::from_bytes(&req.prior_private).imported();
            plan::plan_change(&e.schema.block, &prior, &proposed, &config, imported)
        };
        diags.extend(outcome.diagnostics);
        let mut preq = PlanRequest {
            config,
            prior: prior.clone(),
            plan: outcome.plan,
            requires_replace: outcome.requires_replace,
            private: Private::from_bytes(&req.prior_private),
            provider_configured: configured,
            stop: s.stop_token(),
            warnings: Diagnostics::new(),
        };
        if !diags.has_errors() {
            collect(
                s.guarded("PlanResourceChange", e.imp.modify_plan(&mut preq))
                    .await,
                &mut diags,
            );
            diags.extend(std::mem::take(&mut preq.warnings));
        }
        if !destroying {
            let mut breaches = Diagnostics::new();
            plan::check_plan_keeps_config(
                &e.schema.block,
                &preq.config,
                &preq.plan,
                &AttributePath::root(),
                &mut breaches,
            );
            for mut d in breaches {
                d.summary = format!("{} ({})", d.summary, req.type_name);
                diags.push(d);
            }
        }
        if !configured && deferral_allowed(&req.client_capabilities) {
            resp.deferred = deferred(pb::deferred::Reason::ProviderConfigUnknown);
        }
        if e.imp.resumes_creates() {
            resume::plan(&mut preq.private, prior.is_null() && !destroying);
        }
        resp.planned_state = one(convert::encode(&preq.plan, &e.ty, "plan"), &mut diags);
        resp.requires_replace = preq.requires_replace.iter().map(convert::path).collect();
        resp.planned_private = preq.private.to_bytes();
        resp.planned_identity = req.prior_identity.clone();
        resp.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(resp))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> RpcResult<pb::apply_resource_change::Response> {
        let req = req.into_inner();
        debug!(tf_rpc = "ApplyResourceChange", tf_resource_type = %req.type_name, "handling request");
        let s = &self.inner;
        let mut diags = Diagnostics::new();
        // Until the apply produces a state, the answer is the prior one, with
        // its identity (the plan carried the prior identity forward).
        let mut resp = pb::apply_resource_change::Response {
            new_state: req.prior_state.clone(),
            private: req.planned_private.clone(),
            new_identity: req.planned_identity.clone(),
            ..Default::default()
        };
        let decoded = collect(s.resource(&req.type_name), &mut diags).and_then(|e| {
            let prior = one(
                convert::decode(req.prior_state.as_ref(), &e.ty, "prior state"),
                &mut diags,
            )?;
            let planned = one(
                convert::decode(req.planned_state.as_ref(), &e.ty, "planned state"),
                &mut diags,
            )?;
            let config = one(
                convert::decode(req.config.as_ref(), &e.ty, "configuration"),
                &mut diags,
            )?;
            Some((e, prior, planned, config))
        });
        let Some((e, prior, planned, config)) = decoded else {
            resp.diagnostics = convert::diagnostics(diags);
            return Ok(Response::new(resp));
        };
        let mut areq = ApplyRequest {
            config,
            planned: planned.clone(),
            prior: prior.clone(),
            private: Private::from_bytes(&req.planned_private),
            stop: s.stop_token(),
            warnings: Diagnostics::new(),
            partial: None,
        };
        let creating = prior.is_null() && !planned.is_null();
        let handover = planned.is_null()
            && resume::is_handover(&areq.private)
            && match s.guarded("resumable", e.imp.resumable(&areq)).await {
                Ok(resumable) => resumable,
                Err(d) => {
                    diags.extend(d);
                    resp.diagnostics = convert::diagnostics(diags);
                    return Ok(Response::new(resp));
                }
            };
        let result = if handover {
            // The first half of a replacement that resumes this object:
            // it leaves state untouched in AWS; the create that follows
            // finishes it (see `resume`).
            tracing::info!(tf_resource_type = %req.type_name, "handing an incomplete object over to its replacement's create");
            areq.warnings.push(resume::handover_note(&req.type_name));
            Ok(Value::Null)
        } else if planned.is_null() {
            s.guarded("delete", e.imp.delete(&mut areq))
                .await
                .map(|()| Value::Null)
        } else if creating {
            s.guarded("create", e.imp.create(&mut areq)).await
        } else {
            s.guarded("update", e.imp.update(&mut areq)).await
        };
        // Whatever happened, what is stored carries no plan's marks.
        resume::clear(&mut areq.private);
        diags.extend(std::mem::take(&mut areq.warnings));
        let new_state = match result {
            Ok(mut new) => {
                plan::strip_write_only(&e.schema.block, &mut new);
                let mut breaches = Diagnostics::new();
                plan::check_apply_result(&e.schema.block, &planned, &new, &mut breaches);
                for mut d in breaches {
                    d.summary = format!("{} ({})", d.summary, req.type_name);
                    diags.push(d);
                }
                Some(new)
            }
            Err(d) => {
                diags.extend(d);
                // Keep track of whatever exists: partial state (below), or
                // the prior state.
                if let Some(p) = areq.partial.as_mut() {
                    plan::strip_write_only(&e.schema.block, p);
                }
                None
            }
        };
        // Whatever went wrong, state must keep track of what exists: an
        // unusable result falls back to the partial state, and unknowns
        // left behind (already reported) are saved as null.
        let fallback = areq.partial.take();
        for mut candidate in new_state.into_iter().chain(fallback) {
            plan::null_unknowns(&mut candidate);
            plan::strip_write_only(&e.schema.block, &mut candidate);
            if let Some(enc) = one(convert::encode(&candidate, &e.ty, "new state"), &mut diags) {
                resp.new_identity = s.identity(&req.type_name, e.imp.as_ref(), &candidate);
                resp.new_state = Some(enc);
                resp.private = areq.private.to_bytes();
                break;
            }
        }
        resp.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(resp))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> RpcResult<pb::import_resource_state::Response> {
        let req = req.into_inner();
        debug!(tf_rpc = "ImportResourceState", tf_resource_type = %req.type_name, "handling request");
        let s = &self.inner;
        let mut diags = Diagnostics::new();
        let mut resp = pb::import_resource_state::Response::default();
        if let Some(e) = collect(s.resource(&req.type_name), &mut diags) {
            let identity = match (&req.identity, s.identities.get(&req.type_name)) {
                (Some(id), Some((_, ty))) => one(
                    convert::decode(id.identity_data.as_ref(), ty, "identity"),
                    &mut diags,
                ),
                _ => None,
            };
            let ireq = ImportRequest {
                id: req.id.clone(),
                identity,
                stop: s.stop_token(),
            };
            if let Some(state) = collect(
                s.guarded("ImportResourceState", e.imp.import(&ireq)).await,
                &mut diags,
            ) {
                if let Some(enc) = one(convert::encode(&state, &e.ty, "imported state"), &mut diags)
                {
                    resp.imported_resources
                        .push(pb::import_resource_state::ImportedResource {
                            type_name: req.type_name.clone(),
                            state: Some(enc),
                            private: {
                                let mut p = Private::default();
                                p.mark_imported();
                                p.to_bytes()
                            },
                            identity: s
                                .identity(&req.type_name, e.imp.as_ref(), &state)
                                .or(req.identity.clone()),
                        });
                }
            }
        }
        resp.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(resp))
    }

    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> RpcResult<pb::move_resource_state::Response> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        let mut resp = pb::move_resource_state::Response::default();
        if let Some(e) = collect(self.inner.resource(&req.target_type_name), &mut diags) {
            if let Some(json) = collect(raw_json(&req.source_state), &mut diags) {
                let mreq = MoveRequest {
                    source_provider: req.source_provider_address,
                    source_type: req.source_type_name,
                    source_version: req.source_schema_version,
                    source_state: json,
                };
                if let Some(state) = collect(e.imp.move_state(&mreq), &mut diags) {
                    resp.target_state =
                        one(convert::encode(&state, &e.ty, "moved state"), &mut diags);
                }
            }
        }
        resp.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(resp))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> RpcResult<pb::read_data_source::Response> {
        let req = req.into_inner();
        let s = &self.inner;
        let mut diags = Diagnostics::new();
        let mut resp = pb::read_data_source::Response::default();
        match s.data_sources.get(&req.type_name) {
            None => diags.extend(unknown_type("data source", &req.type_name)),
            Some(e) => {
                if let Some(config) = one(
                    convert::decode(req.config.as_ref(), &e.ty, "configuration"),
                    &mut diags,
                ) {
                    if !s.config_known.load(Ordering::Relaxed)
                        && deferral_allowed(&req.client_capabilities)
                    {
                        resp.deferred = deferred(pb::deferred::Reason::ProviderConfigUnknown);
                        resp.state = req.config.clone();
                    } else if let Some(state) = collect(
                        s.guarded("ReadDataSource", e.imp.read(&config, &s.stop_token()))
                            .await,
                        &mut diags,
                    ) {
                        resp.state = one(
                            convert::encode(&state, &e.ty, "data source result"),
                            &mut diags,
                        );
                    }
                }
            }
        }
        resp.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(resp))
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<pb::open_ephemeral_resource::Request>,
    ) -> RpcResult<pb::open_ephemeral_resource::Response> {
        let req = req.into_inner();
        let s = &self.inner;
        let mut diags = Diagnostics::new();
        let mut resp = pb::open_ephemeral_resource::Response::default();
        match s.ephemerals.get(&req.type_name) {
            None => diags.extend(unknown_type("ephemeral resource", &req.type_name)),
            Some(e) => {
                if let Some(config) = one(
                    convert::decode(req.config.as_ref(), &e.ty, "configuration"),
                    &mut diags,
                ) {
                    if let Some(opened) = collect(
                        s.guarded(
                            "OpenEphemeralResource",
                            e.imp.open(&config, &s.stop_token()),
                        )
                        .await,
                        &mut diags,
                    ) {
                        resp.result = one(
                            convert::encode(&opened.result, &e.ty, "ephemeral result"),
                            &mut diags,
                        );
                        resp.private = opened.private;
                        resp.renew_at = opened.renew_at.map(convert::timestamp);
                    }
                }
            }
        }
        resp.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(resp))
    }

    async fn renew_ephemeral_resource(
        &self,
        req: Request<pb::renew_ephemeral_resource::Request>,
    ) -> RpcResult<pb::renew_ephemeral_resource::Response> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        let mut resp = pb::renew_ephemeral_resource::Response {
            private: req.private.clone(),
            ..Default::default()
        };
        match self.inner.ephemerals.get(&req.type_name) {
            None => diags.extend(unknown_type("ephemeral resource", &req.type_name)),
            Some(e) => {
                if let Some(at) = collect(
                    self.inner
                        .guarded(
                            "RenewEphemeralResource",
                            e.imp.renew(req.private.as_deref()),
                        )
                        .await,
                    &mut diags,
                ) {
                    resp.renew_at = at.map(convert::timestamp);
                }
            }
        }
        resp.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(resp))
    }

    async fn close_ephemeral_resource(
        &self,
        req: Request<pb::close_ephemeral_resource::Request>,
    ) -> RpcResult<pb::close_ephemeral_resource::Response> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        match self.inner.ephemerals.get(&req.type_name) {
            None => diags.extend(unknown_type("ephemeral resource", &req.type_name)),
            Some(e) => {
                collect(
                    self.inner
                        .guarded(
                            "CloseEphemeralResource",
                            e.imp.close(req.private.as_deref()),
                        )
                        .await,
                    &mut diags,
                );
            }
        }
        Ok(Response::new(pb::close_ephemeral_resource::Response {
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> RpcResult<pb::get_functions::Response> {
        Ok(Response::new(pb::get_functions::Response {
            functions: self.inner.schema_response.functions.clone(),
            diagnostics: Vec::new(),
        }))
    }

    async fn call_function(
        &self,
        req: Request<pb::call_function::Request>,
    ) -> RpcResult<pb::call_function::Response> {
        let req = req.into_inner();
        let fail = |text: String, arg: Option<usize>| {
            Ok(Response::new(pb::call_function::Response {
                result: None,
                error: Some(pb::FunctionError {
                    text,
                    function_argument: arg.and_then(|a| i64::try_from(a).ok()),
                }),
            }))
        };
        let Some((f, sig)) = self.inner.functions.get(&req.name) else {
            return fail(
                format!("This provider has no function {:?}.", req.name),
                None,
            );
        };
        let mut args = Vec::with_capacity(req.arguments.len());
        for (i, dv) in req.arguments.iter().enumerate() {
            let Some(p) = sig.parameters.get(i).or(sig.variadic.as_ref()) else {
                return fail(
                    format!(
                        "Too many arguments: {} takes {}.",
                        req.name,
                        sig.parameters.len()
                    ),
                    Some(i),
                );
            };
            match convert::decode(Some(dv), &p.ty, "argument") {
                Ok(v) => args.push(v),
                Err(d) => return fail(d.detail, Some(i)),
            }
        }
        let call = std::panic::catch_unwind(AssertUnwindSafe(|| f.call(&args)));
        match call {
            Ok(Ok(v)) => match convert::encode(&v, &sig.returns, "function result") {
                Ok(dv) => Ok(Response::new(pb::call_function::Response {
                    result: Some(dv),
                    error: None,
                })),
                Err(d) => fail(d.detail, None),
            },
            Ok(Err(e)) => fail(e.text, e.argument),
            Err(_) => fail(
                format!(
                    "The function {} crashed. This is a bug in the provider.",
                    req.name
                ),
                None,
            ),
        }
    }

    async fn plan_action(
        &self,
        req: Request<pb::plan_action::Request>,
    ) -> RpcResult<pb::plan_action::Response> {
        let req = req.into_inner();
        let s = &self.inner;
        let mut diags = Diagnostics::new();
        let mut resp = pb::plan_action::Response::default();
        match s.actions.get(&req.action_type) {
            None => diags.extend(unknown_type("action", &req.action_type)),
            Some(e) => {
                if let Some(config) = one(
                    convert::decode(req.config.as_ref(), &e.ty, "configuration"),
                    &mut diags,
                ) {
                    if !s.config_known.load(Ordering::Relaxed)
                        && deferral_allowed(&req.client_capabilities)
                    {
                        resp.deferred = deferred(pb::deferred::Reason::ProviderConfigUnknown);
                    } else {
                        collect(
                            s.guarded("PlanAction", e.imp.plan(&config)).await,
                            &mut diags,
                        );
                    }
                }
            }
        }
        resp.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(resp))
    }

    async fn invoke_action(
        &self,
        req: Request<pb::invoke_action::Request>,
    ) -> RpcResult<BoxStream<pb::invoke_action::Event>> {
        use pb::invoke_action::event::{Completed, Progress as ProgressEvent, Type as EventType};
        use pb::invoke_action::Event;
        let req = req.into_inner();
        let s = self.inner.clone();
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Event, Status>>(16);
        tokio::spawn(async move {
            let mut diags = Diagnostics::new();
            match s.actions.get(&req.action_type) {
                None => diags.extend(unknown_type("action", &req.action_type)),
                Some(e) => {
                    if let Some(config) = one(
                        convert::decode(req.config.as_ref(), &e.ty, "configuration"),
                        &mut diags,
                    ) {
                        let (ptx, mut prx) = tokio::sync::mpsc::channel::<String>(16);
                        let forward = {
                            let tx = tx.clone();
                            tokio::spawn(async move {
                                while let Some(message) = prx.recv().await {
                                    let ev = Event {
                                        r#type: Some(EventType::Progress(ProgressEvent {
                                            message,
                                        })),
                                    };
                                    if tx.send(Ok(ev)).await.is_err() {
                                        break;
                                    }
                                }
                            })
                        };
                        let progress = Progress(ptx);
                        let stop = s.stop_token();
                        collect(
                            s.guarded("InvokeAction", e.imp.invoke(&config, &progress, &stop))
                                .await,
                            &mut diags,
                        );
                        drop(progress);
                        let _ = forward.await;
                    }
                }
            }
            let done = Event {
                r#type: Some(EventType::Completed(Completed {
                    diagnostics: convert::diagnostics(diags),
                })),
            };
            let _ = tx.send(Ok(done)).await;
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }

    async fn list_resource(
        &self,
        req: Request<pb::list_resource::Request>,
    ) -> RpcResult<BoxStream<pb::list_resource::Event>> {
        let req = req.into_inner();
        debug!(tf_rpc = "ListResource", tf_resource_type = %req.type_name, "handling request");
        Ok(Response::new(list::stream(self.inner.clone(), req)))
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> RpcResult<pb::validate_list_resource_config::Response> {
        let req = req.into_inner();
        let s = &self.inner;
        let mut diagnostics = validate_config(
            s.lists.get(&req.type_name),
            "list resource",
            &req.type_name,
            req.config.as_ref(),
            false,
            |imp, c, d| imp.validate(c, d),
        );
        diagnostics.extend(list::check_limit(req.limit.as_ref()));
        Ok(Response::new(pb::validate_list_resource_config::Response {
            diagnostics,
        }))
    }

    async fn generate_resource_config(
        &self,
        req: Request<pb::generate_resource_config::Request>,
    ) -> RpcResult<pb::generate_resource_config::Response> {
        let req = req.into_inner();
        let s = &self.inner;
        let mut diags = Diagnostics::new();
        let mut resp = pb::generate_resource_config::Response::default();
        if let Some(e) = collect(s.resource(&req.type_name), &mut diags) {
            if let Some(state) = one(
                convert::decode(req.state.as_ref(), &e.ty, "state"),
                &mut diags,
            ) {
                let config = crate::genconfig::from_state(&e.schema.block, &state);
                resp.config = one(convert::encode(&config, &e.ty, "configuration"), &mut diags);
            }
        }
        resp.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(resp))
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> RpcResult<pb::stop_provider::Response> {
        // The process keeps serving until Terraform shuts it down.
        self.cancel_in_flight();
        debug!("StopProvider: cancelled in-flight operations");
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}
