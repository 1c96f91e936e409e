//! `onto_registry`'s state, one typed struct read from plans and written
//! as state, and the policy documents its rules and pull accounts become.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

/// Every attribute of `onto_registry`. Reading a plan, unknown values are
/// `None`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct State {
    pub name: String,
    pub region: Option<String>,
    pub image_tag_mutability: Option<String>,
    pub scan_on_push: Option<bool>,
    pub encryption_type: Option<String>,
    pub kms_key: Option<String>,
    pub pull_account_ids: Option<Vec<String>>,
    pub force_delete: Option<bool>,
    pub allow_prod_force_delete: Option<bool>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: Option<BTreeMap<String, String>>,
    pub arn: Option<String>,
    pub registry_id: Option<String>,
    pub repository_url: Option<String>,
    #[serde(default)]
    pub lifecycle_rule: Vec<Rule>,
}

impl State {
    pub fn mutability(&self) -> &str {
        self.image_tag_mutability.as_deref().unwrap_or("IMMUTABLE")
    }

    pub fn encryption(&self) -> &str {
        self.encryption_type.as_deref().unwrap_or("AES256")
    }

    /// The pull accounts, sorted (AWS keeps no order).
    pub fn pull_accounts(&self) -> Vec<String> {
        let mut a = self.pull_account_ids.clone().unwrap_or_default();
        a.sort();
        a.dedup();
        a
    }
}

/// One lifecycle rule.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Rule {
    pub description: Option<String>,
    pub tag_status: String,
    pub tag_prefixes: Option<Vec<String>>,
    pub keep_last: Option<i64>,
    pub expire_after_days: Option<i64>,
}

pub fn lifecycle_policy(rules: &[Rule]) -> String {
    let rules: Vec<_> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut selection = json!({ "tagStatus": r.tag_status });
            if let Some(p) = &r.tag_prefixes {
                selection["tagPrefixList"] = json!(p);
            }
            if let Some(n) = r.keep_last {
                selection["countType"] = json!("imageCountMoreThan");
                selection["countNumber"] = json!(n);
            } else if let Some(d) = r.expire_after_days {
                selection["countType"] = json!("sinceImagePushed");
                selection["countUnit"] = json!("days");
                selection["countNumber"] = json!(d);
            }
            let mut rule = json!({ "rulePriority": i + 1, "selection": selection, "action": { "type": "expire" } });
            if let Some(d) = &r.description {
                rule["description"] = json!(d);
            }
            rule
        })
        .collect();
    json!({ "rules": rules }).to_string()
}

/// Rules from a policy document, in priority order (however AWS orders them).
pub fn parse_lifecycle_policy(text: &str) -> Vec<Rule> {
    let doc: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let mut rules: Vec<(i64, Rule)> = doc["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let sel = &r["selection"];
            let count = sel["countNumber"].as_i64();
            let by_count = sel["countType"] == "imageCountMoreThan";
            (
                r["rulePriority"].as_i64().unwrap_or(i64::MAX),
                Rule {
                    description: r["description"].as_str().map(str::to_owned),
                    tag_status: sel["tagStatus"].as_str().unwrap_or("any").to_owned(),
                    tag_prefixes: sel["tagPrefixList"].as_array().map(|a| {
                        a.iter()
                            .filter_map(|p| p.as_str().map(str::to_owned))
                            .collect()
                    }),
                    keep_last: if by_count { count } else { None },
                    expire_after_days: if by_count { None } else { count },
                },
            )
        })
        .collect();
    rules.sort_by_key(|(p, _)| *p);
    rules.into_iter().map(|(_, r)| r).collect()
}

const PULL_SID: &str = "onto-pull";

pub fn repository_policy(accounts: &[String], partition: &str) -> String {
    let principals: Vec<String> = accounts
        .iter()
        .map(|a| format!("arn:{partition}:iam::{a}:root"))
        .collect();
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": PULL_SID,
            "Effect": "Allow",
            "Principal": { "AWS": principals },
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
        }],
    })
    .to_string()
}

/// Account ids allowed by our statement (AWS may rewrite ARNs as ids).
pub fn parse_pull_accounts(text: &str) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let mut out: Vec<String> = doc["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["Sid"] == PULL_SID)
        .flat_map(|s| match &s["Principal"]["AWS"] {
            serde_json::Value::String(p) => vec![p.clone()],
            serde_json::Value::Array(ps) => ps
                .iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect(),
            _ => vec![],
        })
        .map(|p| p.split(':').nth(4).map_or(p.clone(), str::to_owned))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(status: &str, prefixes: Option<&[&str]>, keep: Option<i64>, days: Option<i64>) -> Rule {
        Rule {
            description: None,
            tag_status: status.into(),
            tag_prefixes: prefixes.map(|p| p.iter().map(|s| (*s).to_owned()).collect()),
            keep_last: keep,
            expire_after_days: days,
        }
    }

    #[test]
    fn lifecycle_policy_round_trips_whatever_order_aws_returns() {
        let rules = vec![
            rule("tagged", Some(&["v"]), Some(10), None),
            rule("untagged", None, None, Some(7)),
            rule("any", None, Some(100), None),
        ];
        let text = lifecycle_policy(&rules);
        assert_eq!(parse_lifecycle_policy(&text), rules);
        // AWS may hand the rules back in another order.
        let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        doc["rules"].as_array_mut().unwrap().reverse();
        assert_eq!(parse_lifecycle_policy(&doc.to_string()), rules);
    }

    #[test]
    fn pull_accounts_from_arns_or_ids() {
        let text = repository_policy(&["111111111111".into(), "222222222222".into()], "aws");
        assert_eq!(
            parse_pull_accounts(&text),
            vec!["111111111111", "222222222222"]
        );
        let rewritten = r#"{"Statement":[{"Sid":"onto-pull","Principal":{"AWS":"333333333333"}},{"Sid":"other","Principal":{"AWS":"arn:aws:iam::444444444444:root"}}]}"#;
        assert_eq!(parse_pull_accounts(rewritten), vec!["333333333333"]);
    }
}
