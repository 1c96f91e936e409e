//! `onto_telemetry`: what the OpenTelemetry module needs on AWS — an
//! Amazon Managed Prometheus workspace, an IAM role for the collector
//! trusted through the cluster's OIDC provider (remote write, X-Ray,
//! CloudWatch), a CloudWatch log group with retention, and optionally the
//! ADOT add-on configured with a collector pipeline (OTLP in; Prometheus
//! remote write, X-Ray and CloudWatch Logs out). A role or log group
//! deleted outside Terraform is recreated by the next apply.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_amp::types::WorkspaceDescription;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::plan::timeout;
use tfplugin::resource::{ApplyRequest, ImportRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::validate::{length_between, Validator};
use tfplugin::value::{AttributePath, Type, Value};
use tfplugin::Stop;

use crate::aws::iam::{self, RoleSpec};
use crate::aws::{self, amp, eks, logs, Aws};
use crate::ownership::{Existing, Owner, SideObjects};
use crate::shared::Shared;
use crate::{tags, validators};

pub(crate) const TYPE: &str = "onto_telemetry";
const COLLECTOR_POLICIES: [&str; 3] = [
    "AmazonPrometheusRemoteWriteAccess",
    "AWSXrayWriteOnlyAccess",
    "CloudWatchAgentServerPolicy",
];
/// Retention periods CloudWatch Logs accepts.
const RETENTION_DAYS: [i64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];
/// The side-object key of the ADOT add-on on a cluster.
fn adot_key(cluster: &str) -> String {
    format!("eks-addon:{cluster}:adot")
}

pub struct Telemetry(pub Shared);

// ---- schema ----------------------------------------------------------------

struct Retention;

impl Validator for Retention {
    fn description(&self) -> String {
        "a CloudWatch Logs retention period in days (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)".into()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        if let Some(n) = value.as_i64() {
            if !RETENTION_DAYS.contains(&n) {
                let near = RETENTION_DAYS
                    .iter()
                    .min_by_key(|d| (*d - n).abs())
                    .copied()
                    .unwrap_or(30);
                diags.error_at(
                    path.clone(),
                    "Invalid retention",
                    format!("CloudWatch Logs does not keep logs for {n} days; the nearest allowed period is {near}."),
                );
            }
        }
    }
}

fn schema() -> Schema {
    Schema::new(
        Block::new()
            .describe("Observability for the platform's cluster: an Amazon Managed Prometheus workspace, an IAM role for the OpenTelemetry collector trusted through the cluster's OIDC provider (Prometheus remote write, X-Ray, CloudWatch), a CloudWatch log group with retention, and optionally the ADOT add-on running an OTLP → Prometheus/X-Ray/CloudWatch pipeline.")
            .attribute(Attribute::string("name").required().requires_replace().validate(length_between(1, 40)).describe("Name of the workspace (alias), role (`<name>-<region>-collector`) and log group (`/onto/<name>`)."))
            .attribute(Attribute::string("region").optional().computed().requires_replace().use_state_for_unknown().validate(validators::region()).describe("Region; defaults to the provider's."))
            .attribute(Attribute::string("oidc_provider_arn").required().describe("The cluster's IAM OIDC provider (`onto_cluster.oidc_provider_arn`)."))
            .attribute(Attribute::string("cluster_name").optional().describe("The EKS cluster, for the ADOT add-on."))
            .attribute(Attribute::string("namespace").default("opentelemetry").describe("Kubernetes namespace of the collector."))
            .attribute(Attribute::string("service_account").default("adot-collector").describe("Kubernetes service account of the collector (the role trusts exactly this one)."))
            .attribute(Attribute::number("log_retention_days").default(30).validate(Retention).describe("Days CloudWatch keeps the log group's events. Default 30."))
            .attribute(Attribute::bool("install_adot").default(false).describe("Install the ADOT EKS add-on on `cluster_name`, configured with the collector pipeline. Needs cert-manager in the cluster."))
            .attribute(Attribute::new("tags", Type::map(Type::String)).optional().validate(validators::TagKeys).describe("Tags for every object."))
            .attribute(Attribute::new("tags_all", Type::map(Type::String)).computed().describe("All tags, including `default_tags` and the onto tags."))
            .attribute(Attribute::string("workspace_id").computed().use_state_for_unknown().describe("Prometheus workspace id."))
            .attribute(Attribute::string("workspace_arn").computed().use_state_for_unknown().describe("Prometheus workspace ARN."))
            .attribute(Attribute::string("remote_write_url").computed().use_state_for_unknown().describe("Prometheus remote-write URL."))
            .attribute(Attribute::string("query_url").computed().use_state_for_unknown().describe("Prometheus query URL (for Grafana)."))
            .attribute(Attribute::string("role_arn").computed().describe("The collector's IAM role (annotate its service account with it)."))
            .attribute(Attribute::string("log_group_name").computed().describe("CloudWatch log group."))
            .attribute(Attribute::string("log_group_arn").computed().use_state_for_unknown().describe("CloudWatch log group ARN."))
            .attribute(Attribute::string("otlp_grpc_endpoint").computed().describe("Where applications send OTLP over gRPC, inside the cluster."))
            .attribute(Attribute::string("otlp_http_endpoint").computed().describe("Where applications send OTLP over HTTP, inside the cluster."))
            .attribute(Attribute::string("collector_config").computed().describe("An OpenTelemetry Collector configuration (YAML) for this pipeline, for a collector you deploy yourself."))
            .timeouts(&["create", "delete"]),
    )
}

// ---- model -----------------------------------------------------------------

/// Every attribute of `onto_telemetry`. Reading a plan, unknown values are
/// `None`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct Model {
    name: String,
    region: Option<String>,
    oidc_provider_arn: Option<String>,
    cluster_name: Option<String>,
    namespace: Option<String>,
    service_account: Option<String>,
    log_retention_days: Option<i32>,
    install_adot: Option<bool>,
    tags: Option<BTreeMap<String, String>>,
    tags_all: Option<BTreeMap<String, String>>,
    workspace_id: Option<String>,
    workspace_arn: Option<String>,
    remote_write_url: Option<String>,
    query_url: Option<String>,
    role_arn: Option<String>,
    log_group_name: Option<String>,
    log_group_arn: Option<String>,
    otlp_grpc_endpoint: Option<String>,
    otlp_http_endpoint: Option<String>,
    collector_config: Option<String>,
}

impl Model {
    fn log_group(&self) -> String {
        format!("/onto/{}", self.name)
    }

    /// The collector role: the one in state, or `<name>-<region>-collector`.
    fn role(&self, region: &str) -> String {
        self.role_arn
            .as_deref()
            .and_then(iam::role_name_of)
            .map(str::to_owned)
            .unwrap_or_else(|| iam::role_name(&self.name, region, "collector"))
    }

    fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or("opentelemetry")
    }

    fn service_account(&self) -> &str {
        self.service_account.as_deref().unwrap_or("adot-collector")
    }

    fn adot(&self) -> bool {
        self.install_adot == Some(true)
    }

    fn otlp(&self, port: u16) -> String {
        format!(
            "http://{}.{}.svc.cluster.local:{port}",
            self.service_account(),
            self.namespace()
        )
    }
}

/// The collector pipeline as OpenTelemetry Collector YAML.
fn collector_yaml(region: &str, remote_write: &str, log_group: &str) -> String {
    format!(
        "extensions:\n  sigv4auth:\n    region: {region}\n    service: aps\nreceivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 0.0.0.0:4317\n      http:\n        endpoint: 0.0.0.0:4318\nprocessors:\n  batch: {{}}\nexporters:\n  prometheusremotewrite:\n    endpoint: {remote_write}\n    auth:\n      authenticator: sigv4auth\n  awsxray:\n    region: {region}\n  awscloudwatchlogs:\n    region: {region}\n    log_group_name: {log_group}\n    log_stream_name: collector\nservice:\n  extensions: [sigv4auth]\n  pipelines:\n    metrics:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [prometheusremotewrite]\n    traces:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [awsxray]\n    logs:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [awscloudwatchlogs]\n"
    )
}

/// The ADOT add-on's configuration values for this pipeline.
fn adot_configuration(remote_write: &str, role_arn: &str) -> String {
    json!({
        "collector": {
            "otlpIngest": { "enabled": true },
            "amp": { "enabled": true, "remoteWriteEndpoint": remote_write },
            "xray": { "enabled": true },
            "cloudwatch": { "enabled": true },
            "serviceAccount": { "annotations": { "eks.amazonaws.com/role-arn": role_arn } },
        }
    })
    .to_string()
}

// ---- reading -----------------------------------------------------------------

/// What AWS holds.
struct Remote {
    workspace: WorkspaceDescription,
    log_group: Option<aws_sdk_cloudwatchlogs::types::LogGroup>,
    role_arn: Option<String>,
    adot: bool,
}

async fn describe(
    aws: &Aws,
    region: &str,
    m: &Model,
    workspace_id: &str,
) -> Result<Option<Remote>> {
    let Some(workspace) = amp::find_workspace(&aws.amp(region), workspace_id).await? else {
        return Ok(None);
    };
    let log_group = logs::find_log_group(&aws.logs(region), &m.log_group())
        .await?
        .map(|(g, _)| g);
    let role_arn = iam::find_role(&aws.iam(), &m.role(region))
        .await?
        .map(|r| r.arn);
    let adot = match (&m.cluster_name, m.adot()) {
        (Some(cluster), true) => eks::find_addon(&aws.eks(region), cluster, "adot")
            .await?
            .is_some(),
        _ => false,
    };
    Ok(Some(Remote {
        workspace,
        log_group,
        role_arn,
        adot,
    }))
}

fn remote_write_url(w: &WorkspaceDescription) -> String {
    format!(
        "{}/api/v1/remote_write",
        w.prometheus_endpoint()
            .unwrap_or_default()
            .trim_end_matches('/')
    )
}

fn state(aws: &Aws, region: &str, m: &Model, r: &Remote, known: &Value) -> Result<Value> {
    let w = &r.workspace;
    let ws_tags = amp::tags_of(w);
    let log_group = m.log_group();
    let remote_write = remote_write_url(w);
    let s = Model {
        name: m.name.clone(),
        region: Some(region.to_owned()),
        oidc_provider_arn: m.oidc_provider_arn.clone(),
        cluster_name: m.cluster_name.clone(),
        namespace: Some(m.namespace().to_owned()),
        service_account: Some(m.service_account().to_owned()),
        log_retention_days: r.log_group.as_ref().and_then(|g| g.retention_in_days()),
        install_adot: Some(r.adot || (m.adot() && m.cluster_name.is_none())),
        tags: tags::state_view(aws, known, &ws_tags),
        tags_all: Some(ws_tags),
        workspace_id: Some(w.workspace_id().to_owned()),
        workspace_arn: Some(w.arn().to_owned()),
        remote_write_url: Some(remote_write.clone()),
        query_url: Some(format!(
            "{}/api/v1/query",
            w.prometheus_endpoint()
                .unwrap_or_default()
                .trim_end_matches('/')
        )),
        role_arn: r.role_arn.clone(),
        log_group_name: r.log_group.as_ref().map(|_| log_group.clone()),
        log_group_arn: r
            .log_group
            .as_ref()
            .and_then(|g| g.log_group_arn())
            .map(str::to_owned),
        otlp_grpc_endpoint: Some(m.otlp(4317)),
        otlp_http_endpoint: Some(m.otlp(4318)),
        collector_config: Some(collector_yaml(region, &remote_write, &log_group)),
    };
    super::to_state(&s, &schema(), known)
}

// ---- writing -----------------------------------------------------------------

/// Converges the log group, the role and the add-on; returns the role's ARN.
#[allow(clippy::too_many_arguments)]
async fn converge(
    aws: &Aws,
    region: &str,
    m: &Model,
    remote: &Remote,
    all_tags: &BTreeMap<String, String>,
    owner: &Owner,
    side: &mut SideObjects,
    limit: Duration,
    stop: &Stop,
) -> Result<String> {
    logs::ensure_log_group(
        &aws.logs(region),
        &m.log_group(),
        region,
        m.log_retention_days.unwrap_or(30),
        all_tags,
        owner,
        side,
    )
    .await?;
    let role_arn = iam::ensure_role(
        &aws.iam(),
        aws::partition(region),
        &RoleSpec {
            name: &m.role(region),
            description: "OpenTelemetry collector (onto_telemetry)",
            trust: iam::service_account_trust(
                m.oidc_provider_arn.as_deref().unwrap_or_default(),
                m.namespace(),
                m.service_account(),
            ),
            managed: &COLLECTOR_POLICIES,
            tags: all_tags,
        },
        owner,
        side,
    )
    .await?;
    let remote_write = remote_write_url(&remote.workspace);
    let client = aws.eks(region);
    match (m.cluster_name.as_deref(), m.adot()) {
        (Some(cluster), true) => {
            let config = adot_configuration(&remote_write, &role_arn);
            let existing = eks::find_addon(&client, cluster, "adot").await?;
            if let Some(a) = &existing {
                let tags: BTreeMap<String, String> =
                    a.tags().cloned().unwrap_or_default().into_iter().collect();
                if !side.is_ours(&adot_key(cluster), Some(&tags)) && !owner.made(&tags) {
                    owner.adopt(&Existing {
                        what: "An ADOT add-on",
                        id: cluster,
                        region,
                        tags: Some(&tags),
                        import_id: None,
                        attribute: "install_adot",
                    })?;
                }
            }
            let settings = eks::AddonSettings {
                version: None,
                configuration: Some(config),
                service_account_role_arn: None,
            };
            eks::put_addon(
                &client,
                cluster,
                "adot",
                &settings,
                None,
                existing.as_ref(),
                all_tags,
                limit,
                stop,
            )
            .await?;
            side.record(adot_key(cluster));
        }
        (Some(cluster), false) if remote.adot && side.is_ours(&adot_key(cluster), None) => {
            eks::delete_addon(&client, cluster, "adot").await?;
            side.forget(&adot_key(cluster));
        }
        _ => {}
    }
    Ok(role_arn)
}

fn vanished(during: &str) -> Diagnostics {
    Diagnostic::error(
        "Workspace vanished",
        format!("The workspace disappeared during {during}."),
    )
    .into()
}

// ---- create / read / update / delete ------------------------------------------

/// Identity: the Prometheus workspace id and region.
const IDENTITY: &[crate::identity::Part] = &[
    ("workspace_id", true, "Prometheus workspace id."),
    crate::identity::REGION,
];

#[async_trait]
impl Resource for Telemetry {
    fn type_name(&self) -> &str {
        TYPE
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if config.get("install_adot").as_bool() == Some(true)
            && config.get("cluster_name").is_null()
        {
            diags.error_at(
                AttributePath::attr("install_adot"),
                "Cluster needed for ADOT",
                "install_adot installs an EKS add-on: set cluster_name.",
            );
        }
        if let Some(arn) = config.get("oidc_provider_arn").as_str() {
            if iam::issuer_of(arn).is_none() {
                diags.error_at(AttributePath::attr("oidc_provider_arn"), "Invalid OIDC provider", format!("{arn:?} is not an IAM OIDC provider ARN (`arn:aws:iam::ACCOUNT:oidc-provider/...`); use onto_cluster.oidc_provider_arn."));
            }
        }
    }

    async fn modify_plan(&self, req: &mut PlanRequest) -> Result<()> {
        let Some(aws) = self.0.get() else {
            return Ok(());
        };
        crate::regions::check_plan(aws.skip_region_validation, &req.config)?;
        if req.plan.is_null() {
            return Ok(());
        }
        if req.plan.get("region").is_unknown() && req.config.get("region").is_null() {
            req.plan.set("region", aws.region.clone());
        }
        let plan = req.plan.clone();
        let (Some(ns), Some(sa)) = (
            plan.get("namespace").as_str(),
            plan.get("service_account").as_str(),
        ) else {
            return Ok(());
        };
        req.plan.set(
            "otlp_grpc_endpoint",
            format!("http://{sa}.{ns}.svc.cluster.local:4317"),
        );
        req.plan.set(
            "otlp_http_endpoint",
            format!("http://{sa}.{ns}.svc.cluster.local:4318"),
        );
        if !req.prior.is_null() {
            for attr in ["collector_config", "log_group_arn"] {
                let prior = req.prior.get(attr).clone();
                req.plan.set(attr, prior);
            }
            // A role or log group deleted outside Terraform (null after the
            // refresh) is recreated; otherwise they stay as they are.
            for attr in ["role_arn", "log_group_name"] {
                let prior = req.prior.get(attr).clone();
                if prior.is_null() {
                    req.plan.set(attr, Value::UNKNOWN);
                    if attr == "log_group_name" {
                        req.plan.set("log_group_arn", Value::UNKNOWN);
                    }
                } else {
                    req.plan.set(attr, prior);
                }
            }
        }
        if let Some(name) = plan.get("name").as_str() {
            tags::plan_all(aws, &aws.owner(TYPE, name, &aws.environment), &mut req.plan);
        }
        Ok(())
    }

    fn resumes_creates(&self) -> bool {
        true
    }

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.planned, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.planned, "create", Duration::from_secs(1800));
        let owner = aws.owner(TYPE, &m.name, &aws.environment);
        let all_tags = tags::all(aws, &owner, &m.tags.clone().unwrap_or_default());
        let client = aws.amp(&region);
        let id = amp::create_workspace(&client, &m.name, &all_tags, &owner).await?;
        let mut side = SideObjects::new(&owner);
        side.save(&mut req.private);
        if let Some(remote) = describe(aws, &region, &m, &id).await? {
            req.save_partial(state(aws, &region, &m, &remote, &req.planned)?);
        }
        amp::wait_active(&client, &id, limit, &req.stop).await?;
        let remote = describe(aws, &region, &m, &id)
            .await?
            .ok_or_else(|| vanished("create"))?;
        converge(
            aws, &region, &m, &remote, &all_tags, &owner, &mut side, limit, &req.stop,
        )
        .await?;
        side.save(&mut req.private);
        let remote = describe(aws, &region, &m, &id)
            .await?
            .ok_or_else(|| vanished("create"))?;
        state(aws, &region, &m, &remote, &req.planned)
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let Some(aws) = self.0.get() else {
            return Ok(Some(req.state.clone()));
        };
        let m: Model = super::model(&req.state, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let Some(id) = m.workspace_id.clone() else {
            return Ok(None);
        };
        match describe(aws, &region, &m, &id).await? {
            Some(remote) => {
                let owner = aws.owner(TYPE, &m.name, &aws.environment);
                crate::ownership::settle_import(
                    &mut req.private,
                    &owner,
                    &amp::tags_of(&remote.workspace),
                );
                state(aws, &region, &m, &remote, &req.state).map(Some)
            }
            None => Ok(None),
        }
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.planned, TYPE)?;
        let prior: Model = super::model(&req.prior, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.planned, "create", Duration::from_secs(1800));
        let owner = aws.owner(TYPE, &m.name, &aws.environment);
        let all_tags = tags::all(aws, &owner, &m.tags.clone().unwrap_or_default());
        let id = prior.workspace_id.clone().unwrap_or_default();
        // The role keeps its name (from prior state) even when the plan
        // left role_arn unknown for a repair.
        let mut m = m;
        m.role_arn = prior.role_arn.clone().or(m.role_arn);
        let remote = describe(aws, &region, &m, &id).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Workspace not found",
                "The workspace was deleted outside Terraform; plan again to recreate it.",
            ))
        })?;
        amp::converge_tags(
            &aws.amp(&region),
            remote.workspace.arn(),
            &amp::tags_of(&remote.workspace),
            &all_tags,
        )
        .await?;
        let mut side = SideObjects::load(&req.private, &owner);
        converge(
            aws, &region, &m, &remote, &all_tags, &owner, &mut side, limit, &req.stop,
        )
        .await?;
        side.save(&mut req.private);
        let remote = describe(aws, &region, &m, &id)
            .await?
            .ok_or_else(|| vanished("update"))?;
        state(aws, &region, &m, &remote, &req.planned)
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.prior, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let side = SideObjects::load(&req.private, &aws.owner(TYPE, &m.name, &aws.environment));
        if let (Some(cluster), true) = (&m.cluster_name, m.adot()) {
            if side.is_ours(&adot_key(cluster), None) || side.is_legacy() {
                eks::delete_addon(&aws.eks(&region), cluster, "adot").await?;
            }
        }
        iam::delete_role_if_ours(&aws.iam(), &m.role(&region), &side).await?;
        let log_group = m.log_group();
        if let Some((_, tags)) = logs::find_log_group(&aws.logs(&region), &log_group).await? {
            if side.is_ours(
                &crate::ownership::key::log_group(&region, &log_group),
                Some(&tags),
            ) {
                logs::delete_log_group(&aws.logs(&region), &log_group).await?;
            }
        }
        if let Some(id) = &m.workspace_id {
            amp::delete_workspace(&aws.amp(&region), id).await?;
        }
        Ok(())
    }

    /// Import ID: the workspace id (`ws-...`), or the name (the workspace
    /// alias, when one workspace has it); either may be prefixed `REGION:`.
    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let id = crate::identity::import_id(req, "workspace_id");
        let (region, id) = match id.split_once(':') {
            Some((r, rest)) => (r.to_owned(), rest.to_owned()),
            None => (aws.region.clone(), id),
        };
        let client = aws.amp(&region);
        let w = match amp::find_workspace(&client, &id).await? {
            Some(w) => w,
            None => {
                let mut named = amp::workspaces_named(&client, &id).await?;
                match named.len() {
                    1 => named.remove(0),
                    0 => {
                        return Err(Diagnostic::error(
                            "Workspace not found",
                            format!(
                                "No Prometheus workspace with id or alias {:?} in {}.",
                                id, region
                            ),
                        )
                        .into())
                    }
                    n => {
                        return Err(Diagnostic::error(
                            "Several workspaces of that name",
                            format!(
                                "{n} workspaces have the alias {:?}; import one by its id ({}).",
                                id,
                                named
                                    .iter()
                                    .map(|w| w.workspace_id())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                        .into())
                    }
                }
            }
        };
        let name = w.alias().unwrap_or(&id).to_owned();
        // The trust policy names the OIDC provider and the service account.
        let role = iam::role_name(&name, &region, "collector");
        let found = iam::find_role(&aws.iam(), &role).await?;
        let trust = found.as_ref().map(|r| r.trust.clone()).unwrap_or_default();
        let statement = &trust["Statement"][0];
        let subject = statement["Condition"]["StringEquals"]
            .as_object()
            .and_then(|c| c.iter().find(|(k, _)| k.ends_with(":sub")))
            .and_then(|(_, v)| v.as_str())
            .and_then(|s| s.strip_prefix("system:serviceaccount:"))
            .and_then(|s| s.split_once(':'))
            .map(|(ns, sa)| (ns.to_owned(), sa.to_owned()))
            .unwrap_or_else(|| ("opentelemetry".into(), "adot-collector".into()));
        let m = Model {
            name,
            region: Some(region.clone()),
            workspace_id: Some(w.workspace_id().to_owned()),
            oidc_provider_arn: statement["Principal"]["Federated"]
                .as_str()
                .map(str::to_owned),
            namespace: Some(subject.0),
            service_account: Some(subject.1),
            install_adot: Some(false),
            role_arn: found.map(|r| r.arn),
            ..Model::default()
        };
        super::to_state(&m, &schema(), &Value::Null)
    }

    fn identity_schema(&self) -> Option<tfplugin::schema::IdentitySchema> {
        Some(crate::identity::schema(IDENTITY))
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        Some(crate::identity::of(state, IDENTITY))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pipeline_sends_metrics_traces_and_logs_to_aws() {
        let yaml = collector_yaml("eu-west-1", "https://aps/api/v1/remote_write", "/onto/t");
        for want in [
            "sigv4auth",
            "prometheusremotewrite",
            "endpoint: https://aps/api/v1/remote_write",
            "awsxray",
            "log_group_name: /onto/t",
            "0.0.0.0:4317",
        ] {
            assert!(yaml.contains(want), "{want}\n{yaml}");
        }
        let adot: serde_json::Value =
            serde_json::from_str(&adot_configuration("https://w", "arn:role")).unwrap();
        assert_eq!(adot["collector"]["amp"]["remoteWriteEndpoint"], "https://w");
        assert_eq!(
            adot["collector"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"],
            "arn:role"
        );
    }

    #[test]
    fn retention_suggests_the_nearest_period() {
        let mut d = Diagnostics::default();
        Retention.validate(
            &AttributePath::attr("log_retention_days"),
            &Value::from(45),
            &mut d,
        );
        assert!(
            format!("{d:?}").contains("nearest allowed period is 30"),
            "{d:?}"
        );
    }
}
