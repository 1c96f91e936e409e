//! `onto_network`: a VPC over N availability zones with public, private,
//! database and (optionally) cache subnet tiers, an internet gateway, NAT
//! (`none`, `single`, `per_az`), route tables per tier, the default
//! security group stripped of rules, and an S3 gateway endpoint.
//!
//! Subnet CIDRs follow a stable layout (`layout.rs`). Every part carries an
//! `onto:part` tag naming its role; apply converges the parts
//! (`converge.rs`), which also finishes a create that was interrupted.

mod converge;
mod layout;
mod model;
mod plan;
mod schema;

use std::time::Duration;

use async_trait::async_trait;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::plan::timeout;
use tfplugin::resource::{ApplyRequest, ImportRequest, PlanRequest, ReadRequest, Resource};
use tfplugin::schema::Schema;
use tfplugin::value::Value;

use crate::aws::ec2::{self, network as net};
use crate::aws::Aws;
use crate::shared::Shared;
use crate::tags;
use converge::Ctx;
use model::Model;

pub(crate) const TYPE: &str = "onto_network";

pub struct Network(pub Shared);

fn state(aws: &Aws, m: &Model, region: &str, inv: &net::Inventory, known: &Value) -> Result<Value> {
    super::to_state(&m.observed(aws, region, inv), &schema::schema(), known)
}

impl Network {
    /// Create and update are one operation: converge every part.
    async fn apply(&self, req: &mut ApplyRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.planned, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let owner = aws.owner(TYPE, &m.name, m.environment(aws));
        let cx = Ctx {
            ec2: aws.ec2(&region),
            region: &region,
            m: &m,
            tags: tags::all(aws, &owner, &m.tags.clone().unwrap_or_default()),
            owner,
            imported: req.private.imported(),
        };
        let limit = timeout(&req.planned, "create", Duration::from_secs(1800));
        let vpc_id = match req.prior.get("vpc_id").as_str() {
            Some(id) => id.to_owned(),
            None => converge::ensure_vpc(&cx).await?,
        };
        let partial = converge::read(&cx.ec2, &vpc_id).await?;
        req.save_partial(state(aws, &m, &region, &partial, &req.planned)?);
        converge::converge(&cx, &vpc_id, limit, &req.stop).await?;
        let inv = converge::read(&cx.ec2, &vpc_id).await?;
        state(aws, &m, &region, &inv, &req.planned)
    }
}

/// Identity: the VPC id and region (a network made outside onto has no
/// onto name to go by).
const IDENTITY: &[crate::identity::Part] = &[("vpc_id", true, "VPC id."), crate::identity::REGION];

#[async_trait]
impl Resource for Network {
    fn type_name(&self) -> &str {
        TYPE
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        plan::check_config(config, diags);
    }

    async fn modify_plan(&self, req: &mut PlanRequest) -> Result<()> {
        match self.0.get() {
            Some(aws) => {
                crate::regions::check_plan(aws.skip_region_validation, &req.config)?;
                plan::modify(aws, req)
            }
            None => Ok(()),
        }
    }

    fn resumes_creates(&self) -> bool {
        true
    }

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        self.apply(req).await
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let Some(aws) = self.0.get() else {
            return Ok(Some(req.state.clone()));
        };
        let m: Model = super::model(&req.state, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let ec2 = aws.ec2(&region);
        let vpc_id = match &m.vpc_id {
            Some(id) => id.clone(),
            None => {
                let owner = aws.owner(TYPE, &m.name, m.environment(aws));
                match net::find_vpc(&ec2, &owner).await? {
                    Some(id) => id,
                    None => return Ok(None),
                }
            }
        };
        match net::inventory(&ec2, &vpc_id).await? {
            Some(inv) => {
                let owner = aws.owner(TYPE, &m.name, m.environment(aws));
                crate::ownership::settle_import(&mut req.private, &owner, &inv.vpc_tags);
                state(aws, &m, &region, &inv, &req.state).map(Some)
            }
            None => Ok(None),
        }
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        self.apply(req).await
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let aws = self.0.require()?;
        let m: Model = super::model(&req.prior, TYPE)?;
        let region = aws.region_or_default(m.region.as_deref()).to_owned();
        let limit = timeout(&req.prior, "delete", Duration::from_secs(1800));
        let Some(vpc_id) = &m.vpc_id else {
            return Ok(());
        };
        if let Some(gateway) = converge::delete(&aws.ec2(&region), vpc_id, limit, &req.stop).await?
        {
            req.warn(
                "Internet gateway kept",
                format!("{gateway} came with the imported {vpc_id}, not from onto: it was detached so the VPC could be deleted, and is left in place."),
            );
        }
        Ok(())
    }

    /// Import ID: the VPC id (`vpc-...`), or the network's `name` (the VPC
    /// tagged as that onto_network in the provider's environment); either
    /// may be prefixed `REGION:` for another region.
    async fn import(&self, req: &ImportRequest) -> Result<Value> {
        let aws = self.0.require()?;
        let id = crate::identity::import_id(req, "vpc_id");
        let (region, id) = match id.split_once(':') {
            Some((r, rest)) => (r.to_owned(), rest.to_owned()),
            None => (aws.region.clone(), id),
        };
        let ec2 = aws.ec2(&region);
        let vpc = if id.starts_with("vpc-") {
            net::describe_vpc(&ec2, &id).await?
        } else {
            let named = net::vpcs_tagged(&ec2, &format!("{TYPE}/{id}"), &aws.environment).await?;
            match named.as_slice() {
                [one] => Some(one.clone()),
                [] => None,
                several => {
                    let ids: Vec<&str> = several.iter().filter_map(|v| v.vpc_id()).collect();
                    return Err(Diagnostic::error(
                        "Several networks of that name",
                        format!("VPCs {} are all tagged as onto_network {:?} in {}; import one by its VPC id.", ids.join(", "), id, aws.environment),
                    )
                    .into());
                }
            }
        };
        let Some(vpc) = vpc else {
            return Err(Diagnostic::error(
                "Network not found",
                format!(
                    "No VPC {:?} (by id, or tagged as onto_network in {} {}).",
                    id, region, aws.environment
                ),
            )
            .into());
        };
        let vpc_id = vpc.vpc_id().unwrap_or_default().to_owned();
        let tags = ec2::tag_map(vpc.tags());
        let name = tags
            .get(crate::ownership::OWNER)
            .and_then(|o| o.strip_prefix(&format!("{TYPE}/")))
            .or_else(|| tags.get("Name").map(String::as_str))
            .map_or_else(|| id.clone(), str::to_owned);
        let inv = net::inventory(&ec2, &vpc_id).await?.ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Network not found",
                format!("{vpc_id} is gone."),
            ))
        })?;
        let mut azs: Vec<String> = inv
            .subnets
            .keys()
            .filter_map(|p| p.strip_prefix("subnet/"))
            .filter_map(|p| p.split_once('/').map(|(_, az)| az.to_owned()))
            .collect();
        azs.sort();
        azs.dedup();
        let m = Model {
            name,
            region: Some(region.clone()),
            cidr_block: vpc.cidr_block().unwrap_or_default().to_owned(),
            availability_zones: azs,
            cache_subnets: Some(inv.subnets.keys().any(|p| p.starts_with("subnet/cache/"))),
            vpc_id: Some(vpc_id),
            ..Model::default()
        };
        super::to_state(&m, &schema::schema(), &Value::Null)
    }

    fn identity_schema(&self) -> Option<tfplugin::schema::IdentitySchema> {
        Some(crate::identity::schema(IDENTITY))
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        Some(crate::identity::of(state, IDENTITY))
    }
}
