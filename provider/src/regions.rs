//! The AWS regions onto knows, by partition — the partition metadata the
//! AWS SDK for Rust resolves endpoints with. A region outside it fails the
//! plan (with the nearest known names); `skip_region_validation = true` in
//! the provider block accepts a region launched after this release.

use tfplugin::diag::{Diagnostic, Diagnostics};
use tfplugin::value::{AttributePath, Value};

/// Partition id and its regions.
const PARTITIONS: &[(&str, &[&str])] = &[
    (
        "aws",
        &[
            "af-south-1",
            "ap-east-1",
            "ap-east-2",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-south-1",
            "ap-south-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-6",
            "ap-southeast-7",
            "ca-central-1",
            "ca-west-1",
            "eu-central-1",
            "eu-central-2",
            "eu-north-1",
            "eu-south-1",
            "eu-south-2",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "il-central-1",
            "me-central-1",
            "me-south-1",
            "mx-central-1",
            "sa-east-1",
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
        ],
    ),
    ("aws-cn", &["cn-north-1", "cn-northwest-1"]),
    ("aws-eusc", &["eusc-de-east-1"]),
    ("aws-iso", &["us-iso-east-1", "us-iso-west-1"]),
    ("aws-iso-b", &["us-isob-east-1", "us-isob-west-1"]),
    ("aws-iso-e", &["eu-isoe-west-1"]),
    ("aws-iso-f", &["us-isof-east-1", "us-isof-south-1"]),
    ("aws-us-gov", &["us-gov-east-1", "us-gov-west-1"]),
];

/// Whether `region` is a region of one of AWS's partitions.
pub fn is_known(region: &str) -> bool {
    PARTITIONS
        .iter()
        .any(|(_, regions)| regions.contains(&region))
}

/// Known regions that look like `region` (same prefix), for messages.
fn near(region: &str) -> Vec<&'static str> {
    let prefix: String = region
        .rsplit_once('-')
        .map_or(region, |(p, _)| p)
        .to_owned();
    let mut out: Vec<&str> = PARTITIONS
        .iter()
        .flat_map(|(_, r)| r.iter().copied())
        .filter(|r| r.starts_with(&prefix))
        .collect();
    if out.is_empty() {
        let area = region.split('-').next().unwrap_or_default();
        out = PARTITIONS
            .iter()
            .flat_map(|(_, r)| r.iter().copied())
            .filter(|r| r.starts_with(area))
            .collect();
    }
    out
}

/// Refuses an unknown region at `attribute`, naming the near ones and the
/// escape hatch.
pub fn check(region: &str, attribute: &str) -> Result<(), Diagnostics> {
    if is_known(region) {
        return Ok(());
    }
    let near = near(region);
    let hint = if near.is_empty() {
        String::new()
    } else {
        format!(" Known regions like it: {}.", near.join(", "))
    };
    Err(Diagnostic::error(
        "Unknown AWS region",
        format!("{region:?} is not an AWS region.{hint} For a region launched after this provider release, set skip_region_validation = true in the provider block."),
    )
    .at(AttributePath::attr(attribute))
    .into())
}

/// Checks the region attributes a resource's plan names (`region`,
/// `dr_region`), unless the provider skips the check.
pub fn check_plan(skip: bool, plan: &Value) -> Result<(), Diagnostics> {
    if skip {
        return Ok(());
    }
    for attribute in ["region", "dr_region"] {
        if let Some(region) = plan.get(attribute).as_str() {
            check(region, attribute)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_regions_pass_and_others_name_their_neighbours() {
        assert!(is_known("eu-west-1") && is_known("us-gov-west-1") && is_known("cn-north-1"));
        let err = check("us-east-9", "region").unwrap_err();
        let text = format!("{err:?}");
        assert!(text.contains("us-east-1, us-east-2"), "{text}");
        assert!(text.contains("skip_region_validation"), "{text}");
        assert!(check_plan(true, &Value::Null).is_ok());
    }
}
