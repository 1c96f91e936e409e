//! Tagging: every taggable object carries the provider's `default_tags`,
//! the resource's `tags`, `onto:environment`, and an ownership tag naming
//! the resource type and object name. The ownership tag is what lets a
//! create whose response was lost (a killed process, a timeout) find and
//! adopt its object on the next apply instead of failing "already exists"
//! or creating a twin.

use std::collections::BTreeMap;

use crate::aws::Aws;

pub const ENVIRONMENT: &str = "onto:environment";
pub const OWNER: &str = "onto:owner";

/// The ownership tag value for an object.
pub fn owner(resource_type: &str, name: &str) -> String {
    format!("{resource_type}/{name}")
}

/// All tags an object should carry.
pub fn desired(
    aws: &Aws,
    environment: &str,
    resource_type: &str,
    name: &str,
    user: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut all = aws.default_tags.clone();
    all.extend(user.iter().map(|(k, v)| (k.clone(), v.clone())));
    all.insert(ENVIRONMENT.to_owned(), environment.to_owned());
    all.insert(OWNER.to_owned(), owner(resource_type, name));
    all
}

/// Whether an existing object was created by this configuration's
/// resource: same ownership tag and same environment.
pub fn owned(
    environment: &str,
    resource_type: &str,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> bool {
    tags.get(OWNER)
        .is_some_and(|o| *o == owner(resource_type, name))
        && tags.get(ENVIRONMENT).is_some_and(|e| e == environment)
}

/// An object named like the one being created exists already. It is
/// adopted when this configuration created it (an earlier apply lost the
/// response), found by `tags`; anything else is refused with an import hint.
pub struct Existing<'a> {
    /// What it is, for messages: "An RDS instance".
    pub what: &'a str,
    pub resource_type: &'a str,
    pub name: &'a str,
    pub region: &'a str,
    pub environment: &'a str,
}

impl Existing<'_> {
    pub fn adopt(&self, tags: Option<&BTreeMap<String, String>>) -> tfplugin::diag::Result<()> {
        if tags.is_some_and(|t| owned(self.environment, self.resource_type, self.name, t)) {
            tracing::info!(name = %self.name, kind = %self.resource_type, "adopting an object created by an interrupted apply");
            return Ok(());
        }
        Err(tfplugin::diag::Diagnostic::error(
            "Already exists",
            format!(
                "{} named {:?} already exists in {} and was not created by this configuration. Import it: terraform import {}.<name> {}",
                self.what, self.name, self.region, self.resource_type, self.name
            ),
        )
        .at(tfplugin::value::AttributePath::attr("name"))
        .into())
    }
}

/// The resource's `tags` as read back from AWS: every tag except the
/// provider's (`default_tags` with their default value, and the `onto:`
/// tags) — so an import recovers the user's tags, and tags added or edited
/// out of band show as drift. Keys the user set stay theirs even when they
/// equal a default tag.
pub fn user_view(
    aws: &Aws,
    prior_user: &BTreeMap<String, String>,
    actual: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    actual
        .iter()
        .filter(|(k, v)| {
            prior_user.contains_key(*k)
                || (!k.starts_with("onto:") && aws.default_tags.get(*k) != Some(*v))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Sets `tags_all` in a planned value from its `tags` (left unknown while
/// `tags` is unknown).
pub fn plan_tags_all(
    aws: &Aws,
    environment: &str,
    resource_type: &str,
    name: &str,
    plan: &mut tfplugin::value::Value,
) {
    use tfplugin::value::{typed, Value};
    if plan.get("tags").is_unknown() {
        return;
    }
    let user: BTreeMap<String, String> = typed::from_value(plan.get("tags"))
        .ok()
        .flatten()
        .unwrap_or_default();
    let all = desired(aws, environment, resource_type, name, &user);
    plan.set(
        "tags_all",
        Value::Map(
            all.into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        ),
    );
}

/// Keys to remove and tags to set to turn `actual` into `desired`.
pub fn diff(
    actual: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> (Vec<String>, BTreeMap<String, String>) {
    let remove = actual
        .keys()
        .filter(|k| !desired.contains_key(*k))
        .cloned()
        .collect();
    let set = desired
        .iter()
        .filter(|(k, v)| actual.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (remove, set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_sets_and_removes() {
        let actual = BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]);
        let desired = BTreeMap::from([("a".into(), "1".into()), ("c".into(), "3".into())]);
        let (remove, set) = diff(&actual, &desired);
        assert_eq!(remove, vec!["b".to_owned()]);
        assert_eq!(set, BTreeMap::from([("c".into(), "3".into())]));
    }
}
