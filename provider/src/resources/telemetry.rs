//! `onto_telemetry`: what the OpenTelemetry module needs on AWS — an
//! Amazon Managed Prometheus workspace, an IAM role for the collector
//! trusted through the cluster's OIDC provider (remote write, X-Ray,
//! CloudWatch), a CloudWatch log group with retention, and optionally the
//! ADOT add-on configured with a collector pipeline (OTLP in; Prometheus
//! remote write, X-Ray and CloudWatch Logs out).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_amp::types::{WorkspaceDescription, WorkspaceStatusCode};
use serde::Deserialize;
use serde_json::json;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::plan::timeout;
use tfplugin::resource::{ApplyRequest, ImportRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::validate::{length_between, Validator};
use tfplugin::value::{typed, AttributePath, Type, Value};
use tfplugin::Stop;

use crate::aws::{self, wait_until, Aws, Poll};
use crate::iam::{self, RoleSpec};
use crate::shared::Shared;
use crate::{tags, validators};

const TYPE: &str = "onto_telemetry";
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
            .attribute(Attribute::string("name").required().requires_replace().validate(length_between(1, 40)).describe("Name of the workspace (alias), role (`<name>-collector`) and log group (`/onto/<name>`)."))
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
            .attribute(Attribute::string("role_arn").computed().use_state_for_unknown().describe("The collector's IAM role (annotate its service account with it)."))
            .attribute(Attribute::string("log_group_name").computed().use_state_for_unknown().describe("CloudWatch log group."))
            .attribute(Attribute::string("log_group_arn").computed().use_state_for_unknown().describe("CloudWatch log group ARN."))
            .attribute(Attribute::string("otlp_grpc_endpoint").computed().describe("Where applications send OTLP over gRPC, inside the cluster."))
            .attribute(Attribute::string("otlp_http_endpoint").computed().describe("Where applications send OTLP over HTTP, inside the cluster."))
            .attribute(Attribute::string("collector_config").computed().describe("An OpenTelemetry Collector configuration (YAML) for this pipeline, for a collector you deploy yourself."))
            .timeouts(&["create", "delete"]),
    )
}

// ---- model -----------------------------------------------------------------

#[derive(Deserialize)]
struct Model {
    name: String,
    region: Option<String>,
    oidc_provider_arn: String,
    cluster_name: Option<String>,
    #[serde(default, deserialize_with = "super::null_as_default")]
    namespace: String,
    #[serde(default, deserialize_with = "super::null_as_default")]
    service_account: String,
    #[serde(default, deserialize_with = "super::null_as_default")]
    log_retention_days: i32,
    #[serde(default, deserialize_with = "super::null_as_default")]
    install_adot: bool,
    tags: Option<BTreeMap<String, String>>,
}

fn model(v: &Value) -> Result<Model> {
    typed::from_value(v)
        .map_err(|e| Diagnostic::error("Invalid onto_telemetry value", e.to_string()).into())
}

impl Model {
    fn log_group(&self) -> String {
        format!("/onto/{}", self.name)
    }

    fn role(&self) -> String {
        format!("{}-collector", self.name)
    }

    fn otlp(&self, port: u16) -> String {
        format!(
            "http://{}.{}.svc.cluster.local:{port}",
            self.service_account, self.namespace
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

// ---- AWS calls ---------------------------------------------------------------

/// What AWS holds.
struct Remote {
    workspace: WorkspaceDescription,
    log_group: Option<aws_sdk_cloudwatchlogs::types::LogGroup>,
    log_tags: BTreeMap<String, String>,
    role_arn: Option<String>,
    adot: bool,
}

async fn find_workspace(
    amp: &aws_sdk_amp::Client,
    id: Option<&str>,
    alias: &str,
) -> Result<Option<WorkspaceDescription>> {
    let id = match id {
        Some(id) => id.to_owned(),
        None => {
            let out = amp
                .list_workspaces()
                .alias(alias)
                .send()
                .await
                .map_err(aws::failed("aps:ListWorkspaces"))?;
            match out.workspaces().iter().find(|w| w.alias() == Some(alias)) {
                Some(w) => w.workspace_id().to_owned(),
                None => return Ok(None),
            }
        }
    };
    match amp.describe_workspace().workspace_id(&id).send().await {
        Ok(out) => Ok(out.workspace().cloned()),
        Err(e) if aws::code(&e) == Some("ResourceNotFoundException") => Ok(None),
        Err(e) => Err(aws::error("aps:DescribeWorkspace", &e).into()),
    }
}

async fn describe(aws: &Aws, region: &str, m: &Model, known: &Value) -> Result<Option<Remote>> {
    let Some(workspace) = find_workspace(
        &aws.amp(region),
        known.get("workspace_id").as_str(),
        &m.name,
    )
    .await?
    else {
        return Ok(None);
    };
    if workspace.status().map(|s| s.status_code()) == Some(&WorkspaceStatusCode::Deleting) {
        return Ok(None);
    }
    let logs = aws.logs(region);
    let name = m.log_group();
    let log_group = logs
        .describe_log_groups()
        .log_group_name_prefix(&name)
        .send()
        .await
        .map_err(aws::failed("logs:DescribeLogGroups"))?
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name.as_str()))
        .cloned();
    let log_tags = match log_group.as_ref().and_then(|g| g.log_group_arn()) {
        Some(arn) => logs
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(aws::failed("logs:ListTagsForResource"))?
            .tags()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        None => BTreeMap::new(),
    };
    let role_arn = match aws.iam().get_role().role_name(m.role()).send().await {
        Ok(out) => out.role().map(|r| r.arn().to_owned()),
        Err(e) if aws::code(&e) == Some("NoSuchEntity") => None,
        Err(e) => return Err(aws::error("iam:GetRole", &e).into()),
    };
    let adot = match (
        &m.cluster_name,
        m.install_adot || known.get("install_adot").as_bool() == Some(true),
    ) {
        (Some(cluster), true) => match aws
            .eks(region)
            .describe_addon()
            .cluster_name(cluster)
            .addon_name("adot")
            .send()
            .await
        {
            Ok(_) => true,
            Err(e) if aws::code(&e) == Some("ResourceNotFoundException") => false,
            Err(e) => return Err(aws::error("eks:DescribeAddon", &e).into()),
        },
        _ => false,
    };
    Ok(Some(Remote {
        workspace,
        log_group,
        log_tags,
        role_arn,
        adot,
    }))
}

async fn wait_workspace(
    amp: &aws_sdk_amp::Client,
    id: &str,
    limit: Duration,
    stop: &Stop,
) -> Result<WorkspaceDescription> {
    wait_until(
        &format!("Prometheus workspace {id}"),
        limit,
        stop,
        || async {
            let w = find_workspace(amp, Some(id), "").await?.ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    "Workspace vanished",
                    format!("{id} disappeared while waiting for it."),
                ))
            })?;
            let status = w.status().map(|s| s.status_code().clone());
            match status {
                Some(WorkspaceStatusCode::Active) => Ok(Poll::Ready(w)),
                Some(WorkspaceStatusCode::CreationFailed) => Err(Diagnostic::error(
                    format!("Workspace {id} failed to create"),
                    "See the Amazon Managed Prometheus console.",
                )
                .into()),
                other => Ok(Poll::Pending(
                    other.map_or("CREATING".into(), |s| s.as_str().to_owned()),
                )),
            }
        },
    )
    .await
}

/// Converges log group retention and tags, the role and the add-on.
async fn converge(
    aws: &Aws,
    region: &str,
    m: &Model,
    remote: &Remote,
    all_tags: &BTreeMap<String, String>,
    limit: Duration,
    stop: &Stop,
) -> Result<String> {
    let logs = aws.logs(region);
    let name = m.log_group();
    match &remote.log_group {
        None => match logs
            .create_log_group()
            .log_group_name(&name)
            .set_tags(Some(all_tags.clone().into_iter().collect()))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if aws::code(&e) == Some("ResourceAlreadyExistsException") => {}
            Err(e) => return Err(aws::error("logs:CreateLogGroup", &e).into()),
        },
        Some(g) => {
            let (remove, set) = tags::diff(&remote.log_tags, all_tags);
            let arn = g.log_group_arn().unwrap_or_default();
            if !remove.is_empty() {
                logs.untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(remove))
                    .send()
                    .await
                    .map_err(aws::failed("logs:UntagResource"))?;
            }
            if !set.is_empty() {
                logs.tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(set.into_iter().collect()))
                    .send()
                    .await
                    .map_err(aws::failed("logs:TagResource"))?;
            }
        }
    }
    if remote
        .log_group
        .as_ref()
        .and_then(|g| g.retention_in_days())
        != Some(m.log_retention_days)
    {
        logs.put_retention_policy()
            .log_group_name(&name)
            .retention_in_days(m.log_retention_days)
            .send()
            .await
            .map_err(aws::failed("logs:PutRetentionPolicy"))?;
    }
    let role_arn = iam::ensure_role(
        &aws.iam(),
        aws::partition(region),
        &RoleSpec {
            name: &m.role(),
            description: "OpenTelemetry collector (onto_telemetry)",
            trust: iam::service_account_trust(
                &m.oidc_provider_arn,
                &m.namespace,
                &m.service_account,
            ),
            managed: &COLLECTOR_POLICIES,
            tags: all_tags,
        },
    )
    .await?;
    let eks_cluster = m.cluster_name.as_deref();
    let remote_write = remote_write_url(&remote.workspace);
    match (eks_cluster, m.install_adot, remote.adot) {
        (Some(cluster), true, have) => {
            let eks = aws.eks(region);
            let config = adot_configuration(&remote_write, &role_arn);
            if have {
                eks.update_addon()
                    .cluster_name(cluster)
                    .addon_name("adot")
                    .configuration_values(config)
                    .resolve_conflicts(aws_sdk_eks::types::ResolveConflicts::Overwrite)
                    .send()
                    .await
                    .map_err(aws::failed("eks:UpdateAddon"))?;
            } else {
                eks.create_addon()
                    .cluster_name(cluster)
                    .addon_name("adot")
                    .configuration_values(config)
                    .resolve_conflicts(aws_sdk_eks::types::ResolveConflicts::Overwrite)
                    .set_tags(Some(all_tags.clone().into_iter().collect()))
                    .send()
                    .await
                    .map_err(aws::failed("eks:CreateAddon"))?;
            }
            super::cluster::wait_addon(&eks, cluster, "adot", false, limit, stop).await?;
        }
        (Some(cluster), false, true) => {
            aws.eks(region)
                .delete_addon()
                .cluster_name(cluster)
                .addon_name("adot")
                .send()
                .await
                .map_err(aws::failed("eks:DeleteAddon"))?;
        }
        _ => {}
    }
    Ok(role_arn)
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
    let ws_tags: BTreeMap<String, String> =
        w.tags().cloned().unwrap_or_default().into_iter().collect();
    let user_tags: BTreeMap<String, String> = typed::from_value(known.get("tags"))
        .ok()
        .flatten()
        .unwrap_or_default();
    let view = tags::user_view(aws, &user_tags, &ws_tags);
    let log_group = m.log_group();
    let remote_write = remote_write_url(w);
    let value = json!({
        "name": m.name,
        "region": region,
        "oidc_provider_arn": m.oidc_provider_arn,
        "cluster_name": m.cluster_name,
        "namespace": m.namespace,
        "service_account": m.service_account,
        "log_retention_days": r.log_group.as_ref().and_then(|g| g.retention_in_days()),
        "install_adot": r.adot || (m.install_adot && m.cluster_name.is_none()),
        "tags": if view.is_empty() && known.get("tags").is_null() { None } else { Some(view) },
        "tags_all": ws_tags,
        "workspace_id": w.workspace_id(),
        "workspace_arn": w.arn(),
        "remote_write_url": remote_write,
        "query_url": format!("{}/api/v1/query", w.prometheus_endpoint().unwrap_or_default().trim_end_matches('/')),
        "role_arn": r.role_arn,
        "log_group_name": r.log_group.as_ref().map(|_| log_group.clone()),
        "log_group_arn": r.log_group.as_ref().and_then(|g| g.log_group_arn()),
        "otlp_grpc_endpoint": m.otlp(4317),
        "otlp_http_endpoint": m.otlp(4318),
        "collector_config": collector_yaml(region, &remote_write, &log_group),
    });
    let mut v = typed::to_value(&value, &schema().ty())
        .map_err(|e| Diagnostic::error("Internal error", e.to_string()))?;
    v.set("timeouts", known.get("timeouts").clone());
    Ok(v)
}

// ---- create / read / update / delete ------------------------------------------

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
                AttributePath::attr("cluster_name"),
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
            let prior = req.prior.get("collector_config").clone();
            req.plan.set("collector_config", prior);
        }
        if let Some(name) = plan.get("name").as_str() {
            tags::plan_tags_all(aws, &aws.environment, TYPE, name, &mut req.plan);
        }
        Ok(())
    }

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m = model(&req.planned)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.planned, "create", Duration::from_secs(1800));
        let all_tags = tags::desired(
            aws,
            &aws.environment,
            TYPE,
            &m.name,
            &m.tags.clone().unwrap_or_default(),
        );
        let amp = aws.amp(&region);
        // Adopt our workspace from an interrupted create (found by alias and owner tag).
        let existing = find_workspace(&amp, None, &m.name).await?;
        let id = match existing {
            Some(w)
                if tags::owned(
                    aws,
                    &aws.environment,
                    TYPE,
                    &m.name,
                    &w.tags().cloned().unwrap_or_default().into_iter().collect(),
                ) =>
            {
                w.workspace_id().to_owned()
            }
            _ => amp
                .create_workspace()
                .alias(&m.name)
                .set_tags(Some(all_tags.clone().into_iter().collect()))
                .send()
                .await
                .map_err(aws::failed("aps:CreateWorkspace"))?
                .workspace_id()
                .to_owned(),
        };
        let mut known = req.planned.clone();
        known.set("workspace_id", id.clone());
        if let Some(remote) = describe(aws, &region, &m, &known).await? {
            req.save_partial(state(aws, &region, &m, &remote, &known)?);
        }
        wait_workspace(&amp, &id, limit, &req.stop).await?;
        let remote = describe(aws, &region, &m, &known).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Workspace vanished",
                "The workspace disappeared during create.",
            ))
        })?;
        converge(aws, &region, &m, &remote, &all_tags, limit, &req.stop).await?;
        let remote = describe(aws, &region, &m, &known).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Workspace vanished",
                "The workspace disappeared during create.",
            ))
        })?;
        state(aws, &region, &m, &remote, &known)
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let Some(aws) = self.0.get() else {
            return Ok(Some(req.state.clone()));
        };
        let m = model(&req.state)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        match describe(aws, &region, &m, &req.state).await? {
            Some(remote) => state(aws, &region, &m, &remote, &req.state).map(Some),
            None => Ok(None),
        }
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m = model(&req.planned)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.planned, "create", Duration::from_secs(1800));
        let all_tags = tags::desired(
            aws,
            &aws.environment,
            TYPE,
            &m.name,
            &m.tags.clone().unwrap_or_default(),
        );
        let remote = describe(aws, &region, &m, &req.prior)
            .await?
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    "Workspace not found",
                    "The workspace was deleted outside Terraform; plan again to recreate it.",
                ))
            })?;
        let amp = aws.amp(&region);
        let arn = remote.workspace.arn().to_owned();
        let have: BTreeMap<String, String> = remote
            .workspace
            .tags()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect();
        let (remove, set) = tags::diff(&have, &all_tags);
        if !remove.is_empty() {
            amp.untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(aws::failed("aps:UntagResource"))?;
        }
        if !set.is_empty() {
            amp.tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(set.into_iter().collect()))
                .send()
                .await
                .map_err(aws::failed("aps:TagResource"))?;
        }
        converge(aws, &region, &m, &remote, &all_tags, limit, &req.stop).await?;
        let remote = describe(aws, &region, &m, &req.prior)
            .await?
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    "Workspace vanished",
                    "The workspace disappeared during update.",
                ))
            })?;
        state(aws, &region, &m, &remote, &req.planned)
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let aws = self.0.require()?;
        let m = model(&req.prior)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        if let (Some(cluster), true) = (&m.cluster_name, m.install_adot) {
            match aws
                .eks(&region)
                .delete_addon()
                .cluster_name(cluster)
                .addon_name("adot")
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if aws::code(&e) == Some("ResourceNotFoundException") => {}
                Err(e) => return Err(aws::error("eks:DeleteAddon", &e).into()),
            }
        }
        iam::delete_role(&aws.iam(), &m.role()).await?;
        match aws
            .logs(&region)
            .delete_log_group()
            .log_group_name(m.log_group())
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if aws::code(&e) == Some("ResourceNotFoundException") => {}
            Err(e) => return Err(aws::error("logs:DeleteLogGroup", &e).into()),
        }
        if let Some(id) = req.prior.get("workspace_id").as_str() {
            match aws
                .amp(&region)
                .delete_workspace()
                .workspace_id(id)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if aws::code(&e) == Some("ResourceNotFoundException") => {}
                Err(e) => return Err(aws::error("aps:DeleteWorkspace", &e).into()),
            }
        }
        Ok(())
    }

    /// Import ID: the name (the workspace alias).
    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let w = find_workspace(&aws.amp(&aws.region), None, &req.id)
            .await?
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    "Workspace not found",
                    format!(
                        "No Prometheus workspace with alias {:?} in {}.",
                        req.id, aws.region
                    ),
                ))
            })?;
        // The trust policy names the OIDC provider and the service account.
        let role = format!("{}-collector", req.id);
        let trust = match aws.iam().get_role().role_name(&role).send().await {
            Ok(out) => out
                .role()
                .and_then(|r| r.assume_role_policy_document())
                .and_then(iam::decode_policy)
                .unwrap_or_default(),
            Err(e) if aws::code(&e) == Some("NoSuchEntity") => serde_json::Value::Null,
            Err(e) => return Err(aws::error("iam:GetRole", &e).into()),
        };
        let statement = &trust["Statement"][0];
        let subject = statement["Condition"]["StringEquals"]
            .as_object()
            .and_then(|c| c.iter().find(|(k, _)| k.ends_with(":sub")))
            .and_then(|(_, v)| v.as_str())
            .and_then(|s| s.strip_prefix("system:serviceaccount:"))
            .and_then(|s| s.split_once(':'))
            .map(|(ns, sa)| (ns.to_owned(), sa.to_owned()))
            .unwrap_or_else(|| ("opentelemetry".into(), "adot-collector".into()));
        let mut v = Value::null_object(&schema().ty());
        v.set("name", req.id.clone());
        v.set("region", aws.region.clone());
        v.set("workspace_id", w.workspace_id().to_owned());
        v.set(
            "oidc_provider_arn",
            statement["Principal"]["Federated"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
        v.set("namespace", subject.0);
        v.set("service_account", subject.1);
        v.set("install_adot", false);
        Ok(v)
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

    /// moto has no EKS add-ons: the ADOT wait is tested at the SDK layer.
    #[tokio::test(start_paused = true)]
    async fn a_degraded_adot_addon_fails_at_once_with_its_issues() {
        use aws_sdk_eks::operation::describe_addon::DescribeAddonOutput;
        use aws_sdk_eks::types::{Addon, AddonHealth, AddonIssue, AddonIssueCode, AddonStatus};
        use aws_smithy_mocks::{mock, mock_client, RuleMode};
        let addon = |status: AddonStatus| {
            let mut a = Addon::builder().addon_name("adot").status(status);
            if a.get_status() == &Some(AddonStatus::Degraded) {
                a = a.health(
                    AddonHealth::builder()
                        .issues(
                            AddonIssue::builder()
                                .code(AddonIssueCode::AdmissionRequestDenied)
                                .message("cert-manager is not installed")
                                .build(),
                        )
                        .build(),
                );
            }
            DescribeAddonOutput::builder().addon(a.build()).build()
        };
        let rule = mock!(aws_sdk_eks::Client::describe_addon)
            .sequence()
            .output(move || addon(AddonStatus::Creating))
            .output(move || addon(AddonStatus::Degraded))
            .build();
        let eks = mock_client!(aws_sdk_eks, RuleMode::Sequential, [&rule]);
        let err = super::super::cluster::wait_addon(
            &eks,
            "c",
            "adot",
            false,
            Duration::from_secs(1200),
            &Stop::new(),
        )
        .await
        .unwrap_err();
        let text = format!("{err:?}");
        assert!(
            text.contains("Add-on adot is DEGRADED")
                && text.contains("cert-manager is not installed"),
            "{text}"
        );
        assert_eq!(rule.num_calls(), 2);
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
