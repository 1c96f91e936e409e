//! The provider service in process: lifecycle contract breaches and panics
//! in resource code become precise error diagnostics, and the service keeps
//! answering afterwards.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use tfplugin::diag::Result;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_server::Provider as _;
use tfplugin::provider::{ConfigureRequest, Provider};
use tfplugin::resource::{ApplyRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::server::ProviderService;
use tfplugin::value::{to_msgpack, Value};

/// A resource whose behaviour is chosen by its `mode` attribute.
struct Misbehaving;

fn schema() -> Schema {
    Schema::new(
        Block::new()
            .attribute(Attribute::string("mode").required())
            .attribute(Attribute::string("name").optional())
            .attribute(Attribute::string("id").computed()),
    )
}

#[async_trait]
impl Resource for Misbehaving {
    fn type_name(&self) -> &str {
        "test_thing"
    }
    fn schema(&self) -> Schema {
        schema()
    }
    async fn modify_plan(&self, req: &mut PlanRequest) -> Result<()> {
        if req.config.get("mode").as_str() == Some("rewrite-config") {
            req.plan.set("name", "not what you wrote");
        }
        Ok(())
    }
    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        let mut state = req.planned.clone();
        match req.config.get("mode").as_str() {
            Some("panic") => panic!("index out of bounds"),
            Some("drop-name") => state.set("name", Value::Null),
            Some("leave-unknown") => {}
            _ => {}
        }
        if req.config.get("mode").as_str() != Some("leave-unknown") {
            state.set("id", "x1");
        }
        Ok(state)
    }
    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        Ok(Some(req.state.clone()))
    }
    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        Ok(req.planned.clone())
    }
    async fn delete(&self, _: &mut ApplyRequest) -> Result<()> {
        Ok(())
    }
}

struct TestProvider;

#[async_trait]
impl Provider for TestProvider {
    fn type_name(&self) -> &str {
        "test"
    }
    fn schema(&self) -> Schema {
        Schema::default()
    }
    async fn configure(&self, _: ConfigureRequest) -> Result<()> {
        Ok(())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Misbehaving)]
    }
}

fn dv(v: &Value) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: to_msgpack(v, &schema().ty()).unwrap(),
        json: Vec::new(),
    })
}

fn config(mode: &str, name: &str) -> Value {
    Value::Object(BTreeMap::from([
        ("mode".to_owned(), mode.into()),
        ("name".to_owned(), name.into()),
        ("id".to_owned(), Value::Null),
    ]))
}

async fn plan(svc: &ProviderService, mode: &str) -> pb::plan_resource_change::Response {
    let c = config(mode, "n");
    svc.plan_resource_change(tonic::Request::new(pb::plan_resource_change::Request {
        type_name: "test_thing".into(),
        prior_state: dv(&Value::Null),
        proposed_new_state: dv(&c),
        config: dv(&c),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

async fn apply(svc: &ProviderService, mode: &str) -> pb::apply_resource_change::Response {
    let c = config(mode, "n");
    let mut planned = c.clone();
    planned.set("id", Value::UNKNOWN);
    svc.apply_resource_change(tonic::Request::new(pb::apply_resource_change::Request {
        type_name: "test_thing".into(),
        prior_state: dv(&Value::Null),
        planned_state: dv(&planned),
        config: dv(&c),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

fn errors(d: &[pb::Diagnostic]) -> Vec<(String, String)> {
    d.iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| {
            let path = d
                .attribute
                .as_ref()
                .and_then(|p| p.steps.first())
                .and_then(|s| match &s.selector {
                    Some(pb::attribute_path::step::Selector::AttributeName(n)) => Some(n.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            (d.summary.clone(), path)
        })
        .collect()
}

#[tokio::test]
async fn a_plan_that_rewrites_configuration_is_refused_by_name() {
    let svc = ProviderService::new(Arc::new(TestProvider));
    let ok = plan(&svc, "fine").await;
    assert!(errors(&ok.diagnostics).is_empty());
    let bad = plan(&svc, "rewrite-config").await;
    let errs = errors(&bad.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].0.contains("changed a configured value") && errs[0].0.contains("test_thing"),
        "{errs:?}"
    );
    assert_eq!(errs[0].1, "name");
}

#[tokio::test]
async fn an_apply_that_breaks_the_plan_is_reported_and_state_is_kept() {
    let svc = ProviderService::new(Arc::new(TestProvider));
    let ok = apply(&svc, "fine").await;
    assert!(errors(&ok.diagnostics).is_empty(), "{:?}", ok.diagnostics);

    let dropped = apply(&svc, "drop-name").await;
    let errs = errors(&dropped.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].0.contains("differs from the plan"), "{errs:?}");
    assert_eq!(errs[0].1, "name");
    assert!(
        dropped.new_state.is_some_and(|s| !s.msgpack.is_empty()),
        "the created object must stay in state"
    );

    let unknown = apply(&svc, "leave-unknown").await;
    let errs = errors(&unknown.diagnostics);
    assert!(
        errs.iter()
            .any(|(s, p)| s.contains("unknown after apply") && p == "id"),
        "{errs:?}"
    );
}

#[tokio::test]
async fn a_panic_becomes_a_diagnostic_and_the_service_keeps_serving() {
    let svc = ProviderService::new(Arc::new(TestProvider));
    let crashed = apply(&svc, "panic").await;
    let errs = errors(&crashed.diagnostics);
    assert_eq!(errs.len(), 1);
    let detail = &crashed.diagnostics[0].detail;
    assert!(
        detail.contains("index out of bounds") && detail.contains("create"),
        "{detail}"
    );
    let after = apply(&svc, "fine").await;
    assert!(errors(&after.diagnostics).is_empty());
}

#[tokio::test]
async fn unknown_types_and_unimplemented_groups_answer_clearly() {
    let svc = ProviderService::new(Arc::new(TestProvider));
    let r = svc
        .read_resource(tonic::Request::new(pb::read_resource::Request {
            type_name: "test_nope".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&r.diagnostics)[0]
        .0
        .contains("Unknown resource type"));
    let status = svc
        .get_states(tonic::Request::new(pb::get_states::Request {
            type_name: "x".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unimplemented);
    let caps = svc
        .get_metadata(tonic::Request::new(pb::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    let caps = caps.server_capabilities.unwrap();
    assert!(caps.plan_destroy && caps.get_provider_schema_optional && !caps.move_resource_state);
}

#[tokio::test]
async fn deferral_only_when_terraform_allows_it() {
    let svc = ProviderService::new(Arc::new(TestProvider));
    let unknown = pb::DynamicValue {
        msgpack: vec![0xd4, 0, 0],
        json: Vec::new(),
    };
    let r = svc
        .configure_provider(tonic::Request::new(pb::configure_provider::Request {
            config: Some(unknown),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty());
    let c = config("fine", "n");
    let request = |deferral_allowed| pb::plan_resource_change::Request {
        type_name: "test_thing".into(),
        prior_state: dv(&Value::Null),
        proposed_new_state: dv(&c),
        config: dv(&c),
        client_capabilities: Some(pb::ClientCapabilities {
            deferral_allowed,
            ..Default::default()
        }),
        ..Default::default()
    };
    let allowed = svc
        .plan_resource_change(tonic::Request::new(request(true)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        allowed.deferred.map(|d| d.reason),
        Some(pb::deferred::Reason::ProviderConfigUnknown as i32)
    );
    let refused = svc
        .plan_resource_change(tonic::Request::new(request(false)))
        .await
        .unwrap()
        .into_inner();
    assert!(refused.deferred.is_none());
    assert!(refused.planned_state.is_some());
}
