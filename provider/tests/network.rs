//! onto_network against the real Terraform CLI and the moto emulator.

mod common;

use aws_sdk_ec2::types::Filter;
use common::{workdir, Emulator};

fn config(azs: &[&str], extra: &str) -> String {
    let azs: Vec<String> = azs.iter().map(|a| format!("\"{a}\"")).collect();
    format!(
        "resource \"onto_network\" \"core\" {{\n  name               = \"core\"\n  cidr_block         = \"10.0.0.0/16\"\n  availability_zones = [{}]\n{extra}}}\n",
        azs.join(", ")
    )
}

fn vpc_filter(vpc: &str) -> Filter {
    Filter::builder().name("vpc-id").values(vpc).build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn layout_drift_growth_and_guarded_destroy() {
    let moto = Emulator::start();
    let ec2 = moto.ec2().await;
    let mut w = workdir();
    let base = moto.provider("dev");
    w.config(&(base.clone() + &config(&["eu-west-1a", "eu-west-1b"], "")));
    assert_eq!(w.plan_actions()["onto_network.core"], ["create"]);
    w.apply();

    let state = w.state();
    let r = state.resource("onto_network.core")["values"].clone();
    let vpc = r["vpc_id"].as_str().unwrap().to_owned();
    assert_eq!(r["nat_mode"], "single", "dev default");
    assert_eq!(r["subnet_cidrs"]["private-eu-west-1b"], "10.0.72.0/21");
    assert_eq!(r["private_subnet_ids"].as_array().unwrap().len(), 2);
    let subnets = ec2
        .describe_subnets()
        .filters(vpc_filter(&vpc))
        .send()
        .await
        .unwrap();
    assert_eq!(
        subnets.subnets().len(),
        6,
        "public, private, database in two AZs"
    );
    let nats = ec2
        .describe_nat_gateways()
        .filter(vpc_filter(&vpc))
        .send()
        .await
        .unwrap();
    assert_eq!(nats.nat_gateways().len(), 1);
    let sg = ec2
        .describe_security_groups()
        .group_ids(r["default_security_group_id"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let sg = &sg.security_groups()[0];
    assert!(
        sg.ip_permissions().is_empty() && sg.ip_permissions_egress().is_empty(),
        "default SG stripped"
    );
    let eps = ec2
        .describe_vpc_endpoints()
        .filters(vpc_filter(&vpc))
        .send()
        .await
        .unwrap();
    assert_eq!(eps.vpc_endpoints().len(), 1);

    w.import_verify("onto_network.core", "core", &[]);
    w.assert_no_changes();

    // Adding an AZ touches no existing subnet.
    let before = r.clone();
    w.config(&(base.clone() + &config(&["eu-west-1a", "eu-west-1b", "eu-west-1c"], "")));
    assert_eq!(w.plan_actions()["onto_network.core"], ["update"]);
    w.apply();
    let after = w.state().resource("onto_network.core")["values"].clone();
    for tier in ["public", "private", "database"] {
        for az in ["eu-west-1a", "eu-west-1b"] {
            let key = format!("{tier}_subnets_by_az");
            assert_eq!(
                after[&key][az], before[&key][az],
                "{tier} subnet in {az} was replaced"
            );
        }
    }
    assert_eq!(after["subnet_cidrs"]["private-eu-west-1b"], "10.0.72.0/21");
    assert_eq!(after["subnet_cidrs"]["private-eu-west-1c"], "10.0.80.0/21");

    // A subnet deleted out of band: the plan recreates exactly it.
    let db_b = after["database_subnets_by_az"]["eu-west-1b"]
        .as_str()
        .unwrap()
        .to_owned();
    let rts = ec2
        .describe_route_tables()
        .filters(vpc_filter(&vpc))
        .send()
        .await
        .unwrap();
    for rt in rts.route_tables() {
        for a in rt
            .associations()
            .iter()
            .filter(|a| a.subnet_id() == Some(db_b.as_str()))
        {
            ec2.disassociate_route_table()
                .association_id(a.route_table_association_id().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    ec2.delete_subnet().subnet_id(&db_b).send().await.unwrap();
    assert_eq!(w.plan_actions()["onto_network.core"], ["update"]);
    let fix: Vec<String> = w
        .planned_attribute_changes("onto_network.core")
        .into_iter()
        .collect();
    assert_eq!(
        fix,
        [
            "database_subnet_ids",
            "database_subnets_by_az",
            "subnet_cidrs"
        ]
    );
    w.apply();
    let repaired = w.state().resource("onto_network.core")["values"].clone();
    assert_eq!(
        repaired["public_subnets_by_az"],
        after["public_subnets_by_az"]
    );

    // NAT per AZ.
    w.config(
        &(base.clone()
            + &config(
                &["eu-west-1a", "eu-west-1b", "eu-west-1c"],
                "  nat_mode           = \"per_az\"\n",
            )),
    );
    assert_eq!(w.plan_actions()["onto_network.core"], ["update"]);
    w.apply();
    let nats = ec2
        .describe_nat_gateways()
        .filter(vpc_filter(&vpc))
        .send()
        .await
        .unwrap();
    let live = nats
        .nat_gateways()
        .iter()
        .filter(|n| n.state().is_some_and(|s| s.as_str() == "available"))
        .count();
    assert_eq!(live, 3);

    // (What blocks deletion is named in the diagnostic; the emulator deletes
    // subnets that still hold network interfaces, so that path is tested
    // with aws-smithy-mocks in the resource's unit tests.)
    w.destroy();
    let gone = ec2.describe_vpcs().vpc_ids(&vpc).send().await;
    assert!(
        gone.is_err() || gone.unwrap().vpcs().is_empty(),
        "VPC still exists"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_and_prod_defaults() {
    let moto = Emulator::start();
    let mut w = workdir();
    let base = moto.provider("dev");
    // Each refusal names its attribute (Terraform quotes its line).
    let cases = [
        (
            config(&["eu-west-1a"], "").replace("10.0.0.0/16", "10.0.0.0/8"),
            "use /16 to /24",
            "cidr_block",
        ),
        (
            config(&["eu-west-1a"], "").replace("10.0.0.0/16", "10.0.0.1/16"),
            "has host bits set",
            "cidr_block",
        ),
        (
            config(&["eu-west-1z"], ""),
            "is not an availability zone name",
            "availability_zones",
        ),
        (
            config(&["eu-west-1a", "eu-west-1a"], ""),
            "eu-west-1a is listed twice",
            "availability_zones",
        ),
        (
            config(&["us-east-1a"], ""),
            "us-east-1a is not in eu-west-1",
            "availability_zones",
        ),
        (
            config(&["eu-west-1a"], "").replace("10.0.0.0/16", "10.0.0.0/24"),
            "smaller than /28",
            "cidr_block",
        ),
        (
            config(&["eu-west-1a"], "  nat_mode           = \"always\"\n"),
            "is not one of",
            "nat_mode",
        ),
    ];
    for (hcl, message, attribute) in cases {
        w.config(&(base.clone() + &hcl));
        w.run(&["plan", "-no-color"]).failure_at(message, attribute);
    }
    let prod = moto.provider("prod");
    w.config(&(prod.clone() + &config(&["eu-west-1a", "eu-west-1b"], "")));
    let out = w.run(&["plan", "-no-color"]).success();
    assert!(
        out.stdout()
            .contains("nat_mode                  = \"per_az\""),
        "prod defaults to NAT per AZ:\n{}",
        out.stdout()
    );
    // Weakening a prod protection needs an explicit override, and the plan
    // says what was given up.
    let single = "  nat_mode           = \"single\"\n";
    w.config(&(prod.clone() + &config(&["eu-west-1a", "eu-west-1b"], single)));
    w.run(&["plan", "-no-color"])
        .failure_at("add \"nat_mode\" to prod_overrides", "nat_mode");
    let overridden = format!("{single}  prod_overrides = [\"nat_mode\"]\n");
    w.config(&(prod + &config(&["eu-west-1a", "eu-west-1b"], &overridden)));
    let out = w.run(&["plan", "-no-color"]).success();
    assert!(
        out.combined()
            .contains("Prod protection overridden: nat_mode"),
        "{}",
        out.combined()
    );
    let ec2 = moto.ec2().await;
    let vpcs = ec2.describe_vpcs().send().await.unwrap();
    assert!(
        vpcs.vpcs().iter().all(|v| v.is_default() == Some(true)),
        "nothing may be created"
    );
}

/// A VPC made outside Terraform, with its own internet gateway and the
/// default security group's rules, imported into an `onto_network`: the
/// apply builds onto's parts around them and routes through the VPC's own
/// gateway, the default group keeps its rules, and destroy deletes the VPC
/// but leaves the gateway it did not make (detached) in place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_vpc_keeps_what_onto_did_not_make() {
    let moto = Emulator::start();
    let ec2 = moto.ec2().await;
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .and_then(|v| v.vpc_id())
        .unwrap()
        .to_owned();
    let igw = ec2
        .create_internet_gateway()
        .send()
        .await
        .unwrap()
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .unwrap()
        .to_owned();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let default_sg = || async {
        let out = ec2
            .describe_security_groups()
            .filters(vpc_filter(&vpc))
            .filters(
                Filter::builder()
                    .name("group-name")
                    .values("default")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let g = out.security_groups()[0].clone();
        (g.ip_permissions().len(), g.ip_permissions_egress().len())
    };
    let rules = default_sg().await;
    assert!(rules.0 + rules.1 > 0, "the default group starts with rules");

    let mut w = workdir();
    let import = format!("import {{\n  to = onto_network.core\n  id = \"{vpc}\"\n}}\n");
    w.config(&(moto.provider("dev") + &config(&["eu-west-1a", "eu-west-1b"], "") + &import));
    w.apply();
    let r = w.state().resource("onto_network.core")["values"].clone();
    assert_eq!(r["vpc_id"], vpc.as_str());
    assert_eq!(
        r["internet_gateway_id"],
        igw.as_str(),
        "the VPC's own gateway is used"
    );
    assert_eq!(
        default_sg().await,
        rules,
        "the default group was not touched"
    );
    let gateways = ec2
        .describe_internet_gateways()
        .filters(
            Filter::builder()
                .name("attachment.vpc-id")
                .values(&vpc)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(gateways.internet_gateways().len(), 1, "no second gateway");
    w.assert_no_changes();

    let out = w.run(&["destroy", "-auto-approve", "-no-color"]).success();
    assert!(
        out.combined().contains("Internet gateway kept"),
        "{}",
        out.combined()
    );
    let gone = ec2.describe_vpcs().vpc_ids(&vpc).send().await;
    assert!(
        gone.is_err() || gone.unwrap().vpcs().is_empty(),
        "the imported VPC is deleted"
    );
    let kept = ec2
        .describe_internet_gateways()
        .internet_gateway_ids(&igw)
        .send()
        .await
        .unwrap();
    assert_eq!(
        kept.internet_gateways().len(),
        1,
        "the gateway onto did not make is kept"
    );
    assert!(kept.internet_gateways()[0].attachments().is_empty());
}
