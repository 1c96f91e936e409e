//! Validators for AWS names and identifiers, so bad input fails at plan
//! time on the exact attribute instead of at apply time in AWS.

use tfplugin::diag::Diagnostics;
use tfplugin::validate::Validator;
use tfplugin::value::{AttributePath, Value};

/// A named check on a string value.
pub struct Check {
    what: &'static str,
    test: fn(&str) -> Result<(), String>,
}

impl Validator for Check {
    fn description(&self) -> String {
        format!("a valid {}", self.what)
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let items: Vec<&Value> = match value {
            Value::String(_) => vec![value],
            Value::List(v) | Value::Set(v) => v.iter().collect(),
            _ => return,
        };
        for item in items {
            if let Some(s) = item.as_str() {
                if let Err(why) = (self.test)(s) {
                    diags.error_at(path.clone(), format!("Invalid {}", self.what), why);
                }
            }
        }
    }
}

pub fn region() -> Check {
    Check {
        what: "AWS region",
        test: check_region,
    }
}

pub fn ecr_repository_name() -> Check {
    Check {
        what: "repository name",
        test: check_ecr_name,
    }
}

pub fn s3_bucket_name() -> Check {
    Check {
        what: "bucket name",
        test: check_bucket_name,
    }
}

pub fn kms_key() -> Check {
    Check {
        what: "KMS key ARN",
        test: check_kms_key,
    }
}

/// A KMS key ARN (`.../key/ID`), not an alias: services such as ECR store
/// the resolved key, so an alias would never match what AWS reports.
pub fn kms_key_arn() -> Check {
    Check {
        what: "KMS key ARN (not an alias)",
        test: check_kms_key_arn,
    }
}

/// Tag keys of a `tags` map: `onto:` and `aws:` are reserved.
pub struct TagKeys;

impl Validator for TagKeys {
    fn description(&self) -> String {
        "a map whose keys do not start with `onto:` or `aws:` (reserved)".into()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        for key in value.entries().into_iter().flat_map(|m| m.keys()) {
            if key.starts_with("onto:") || key.to_ascii_lowercase().starts_with("aws:") {
                diags.error_at(
                    path.push_key(key),
                    "Reserved tag key",
                    format!("{key:?}: keys starting with `onto:` or `aws:` are reserved."),
                );
            }
        }
    }
}

/// KMS keys are regional: the key in `attr` of a plan must be in the plan's
/// `region`, where the object it encrypts lives. Unknown values pass.
pub fn kms_key_in_region(plan: &Value, attr: &str) -> tfplugin::diag::Result<()> {
    let (Some(key), Some(region)) = (plan.get(attr).as_str(), plan.get("region").as_str()) else {
        return Ok(());
    };
    let key_region = key.split(':').nth(3).unwrap_or_default();
    if key_region.is_empty() || key_region == region {
        return Ok(());
    }
    Err(tfplugin::diag::Diagnostic::error(
        "KMS key in another region",
        format!("{attr} is in {key_region}, but this object lives in {region}: a KMS key only encrypts in its own region. Give a key of {region}."),
    )
    .at(AttributePath::attr(attr))
    .into())
}

pub fn account_id() -> Check {
    Check {
        what: "AWS account id",
        test: check_account_id,
    }
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-4` ...
fn check_region(s: &str) -> Result<(), String> {
    let parts: Vec<&str> = s.split('-').collect();
    let ok = (3..=4).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts
            .last()
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an AWS region name like \"eu-west-1\"."
        ))
    }
}

/// ECR: 2–256 characters, lowercase letters, digits, and `._-/` separators
/// between alphanumeric runs.
fn check_ecr_name(s: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("{s:?} is not a valid ECR repository name: {why}."));
    if s.len() < 2 || s.len() > 256 {
        return bad("it must be 2 to 256 characters");
    }
    for component in s.split('/') {
        if component.is_empty() {
            return bad("path components must not be empty");
        }
        let mut prev_sep = true;
        for c in component.chars() {
            let sep = matches!(c, '.' | '_' | '-');
            if !(c.is_ascii_lowercase() || c.is_ascii_digit() || sep) {
                return bad("use lowercase letters, digits, '.', '_', '-' and '/'");
            }
            if sep && prev_sep {
                return bad("separators must sit between letters or digits");
            }
            prev_sep = sep;
        }
        if prev_sep {
            return bad("a name must not end with a separator");
        }
    }
    Ok(())
}

/// S3: 3–63 characters, lowercase letters, digits, dots and hyphens,
/// starting and ending with a letter or digit, not an IP address.
fn check_bucket_name(s: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("{s:?} is not a valid S3 bucket name: {why}."));
    if s.len() < 3 || s.len() > 63 {
        return bad("it must be 3 to 63 characters");
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return bad("use lowercase letters, digits, '.' and '-'");
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge_ok(s.chars().next()) || !edge_ok(s.chars().last()) {
        return bad("it must start and end with a letter or digit");
    }
    if s.contains("..") || s.contains(".-") || s.contains("-.") {
        return bad("dots must not be adjacent to dots or hyphens");
    }
    if s.split('.').count() == 4 && s.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return bad("it must not look like an IP address");
    }
    Ok(())
}

/// `arn:PARTITION:kms:REGION:ACCOUNT:key/ID` or `.../alias/NAME`.
fn check_kms_key(s: &str) -> Result<(), String> {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "kms"
        && check_region(parts[3]).is_ok()
        && check_account_id(parts[4]).is_ok()
        && (parts[5].strip_prefix("key/").is_some_and(|k| !k.is_empty())
            || parts[5]
                .strip_prefix("alias/")
                .is_some_and(|a| !a.is_empty()));
    if ok {
        Ok(())
    } else {
        Err(format!("{s:?} is not a KMS key ARN like \"arn:aws:kms:eu-west-1:123456789012:key/1234abcd-...\"."))
    }
}

fn check_kms_key_arn(s: &str) -> Result<(), String> {
    check_kms_key(s)?;
    if s.contains(":alias/") {
        return Err(format!("{s:?} is a KMS alias; give the key ARN (\"arn:aws:kms:REGION:ACCOUNT:key/ID\"), which is what AWS reports back."));
    }
    Ok(())
}

fn check_account_id(s: &str) -> Result<(), String> {
    if s.len() == 12 && s.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!("{s:?} is not a 12-digit AWS account id."))
    }
}

/// A set of IPv4 CIDR blocks: each valid (no host bits) and none
/// overlapping another (an overlap is almost always a typo).
pub struct CidrBlocks;

impl Validator for CidrBlocks {
    fn description(&self) -> String {
        "IPv4 CIDR blocks that do not overlap".into()
    }

    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let mut seen: Vec<(String, crate::cidr::Cidr)> = Vec::new();
        for item in value.elements().into_iter().flatten() {
            let Some(s) = item.as_str() else { continue };
            match s.parse::<crate::cidr::Cidr>() {
                Err(why) => diags.error_at(path.clone(), "Invalid CIDR block", why),
                Ok(c) => {
                    if let Some((other, _)) = seen.iter().find(|(_, o)| o.overlaps(&c)) {
                        diags.error_at(
                            path.clone(),
                            "Overlapping CIDR blocks",
                            format!("{s} overlaps {other}; list each range once."),
                        );
                    }
                    seen.push((s.to_owned(), c));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-4",
        ] {
            assert!(check_region(ok).is_ok(), "{ok}");
        }
        for bad in ["us-east", "mars-north-1", "US-EAST-1", "eu_west_1", ""] {
            assert!(check_region(bad).is_err(), "{bad}");
        }
        for ok in ["app", "team/app-api", "a.b_c-d/e2"] {
            assert!(check_ecr_name(ok).is_ok(), "{ok}");
        }
        for bad in ["A", "App", "app-", "-app", "a//b", "a__b", "x"] {
            assert!(check_ecr_name(bad).is_err(), "{bad}");
        }
        for ok in ["my-state-bucket", "onto.state.dev", "abc"] {
            assert!(check_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "My-Bucket",
            "bucket-",
            "a..b",
            "192.168.1.1",
            "under_score",
        ] {
            assert!(check_bucket_name(bad).is_err(), "{bad}");
        }
        assert!(check_kms_key("arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab").is_ok());
        assert!(check_kms_key("arn:aws:kms:eu-west-1:123456789012:alias/state").is_ok());
        assert!(check_kms_key("arn:aws:kms:eu-west-1:12345:key/x").is_err());
        assert!(check_kms_key("1234abcd").is_err());
    }
}
