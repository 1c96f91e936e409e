//! Tags: every taggable object carries the provider's `default_tags`, the
//! resource's `tags`, and the ownership tags (`ownership.rs`). This module
//! computes those maps, plans `tags_all`, and reads a resource's `tags`
//! back from what AWS holds.

use std::collections::BTreeMap;

use tfplugin::value::{typed, Value};

use crate::aws::Aws;
use crate::ownership::Owner;

/// Tags onto adds to name and find the parts of a composite object.
pub const PART: &str = "onto:part";

/// All tags an object of `owner` should carry.
pub fn all(aws: &Aws, owner: &Owner, user: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut all = aws.default_tags.clone();
    all.extend(user.iter().map(|(k, v)| (k.clone(), v.clone())));
    all.extend(owner.tags());
    all
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

/// `tags` for state: the user's view, null when there is none and the
/// configuration (or prior state in `known`) has none either.
pub fn state_view(
    aws: &Aws,
    known: &Value,
    actual: &BTreeMap<String, String>,
) -> Option<BTreeMap<String, String>> {
    let prior: BTreeMap<String, String> = typed::from_value(known.get("tags"))
        .ok()
        .flatten()
        .unwrap_or_default();
    let view = user_view(aws, &prior, actual);
    (!view.is_empty() || !known.get("tags").is_null()).then_some(view)
}

/// Sets `tags_all` in a planned value from its `tags` (left unknown while
/// `tags` is unknown).
pub fn plan_all(aws: &Aws, owner: &Owner, plan: &mut Value) {
    if plan.get("tags").is_unknown() {
        return;
    }
    let user: BTreeMap<String, String> = typed::from_value(plan.get("tags"))
        .ok()
        .flatten()
        .unwrap_or_default();
    plan.set(
        "tags_all",
        Value::Map(
            all(aws, owner, &user)
                .into_iter()
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
