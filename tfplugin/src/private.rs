//! Private state: opaque bytes Terraform stores beside a resource's state
//! and hands back on the next operation. We keep it as a namespaced JSON
//! key/value store: resource code gets its own namespace and shared layers
//! name theirs, so neither can clobber the other.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;

const PROVIDER: &str = "provider";
/// The library's own namespace.
pub(crate) const LIBRARY: &str = "tfplugin";
const IMPORTED: &str = "imported";

/// Key/value data stored privately with a resource instance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Private {
    entries: BTreeMap<String, serde_json::Value>,
}

impl Private {
    /// Reads stored bytes. Bytes we cannot read (from another SDK) start an
    /// empty store rather than failing the operation.
    pub fn from_bytes(bytes: &[u8]) -> Private {
        if bytes.is_empty() {
            return Private::default();
        }
        match serde_json::from_slice(bytes) {
            Ok(entries) => Private { entries },
            Err(e) => {
                tracing::warn!(error = %e, "ignoring private state that is not ours");
                Private::default()
            }
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        serde_json::to_vec(&self.entries).unwrap_or_default()
    }

    /// Reads a key in the provider's own namespace.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.get_in(PROVIDER, key)
    }

    /// Writes a key in the provider's own namespace.
    pub fn set<T: Serialize>(&mut self, key: &str, value: &T) {
        self.set_in(PROVIDER, key, value);
    }

    pub fn remove(&mut self, key: &str) {
        self.entries.remove(&format!("{PROVIDER}.{key}"));
    }

    /// Whether the object came into state by `terraform import` (or an
    /// `import` block) rather than by a create. The library marks it;
    /// defaults never override an imported object's own settings.
    pub fn imported(&self) -> bool {
        self.get_in::<bool>(LIBRARY, IMPORTED) == Some(true)
    }

    pub(crate) fn mark_imported(&mut self) {
        self.set_in(LIBRARY, IMPORTED, &true);
    }

    /// Treats an imported object as one this provider created: for a
    /// resource that recognises its own objects (e.g. by their tags) when
    /// they are imported again after their state was lost.
    pub fn clear_imported(&mut self) {
        self.remove_in(LIBRARY, IMPORTED);
    }

    /// Reads a key in another namespace (for shared layers such as a cloud
    /// client library, so their keys never collide with resource code's).
    pub fn get_in<T: DeserializeOwned>(&self, namespace: &str, key: &str) -> Option<T> {
        self.entries
            .get(&format!("{namespace}.{key}"))
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    pub fn remove_in(&mut self, namespace: &str, key: &str) {
        self.entries.remove(&format!("{namespace}.{key}"));
    }

    pub fn set_in<T: Serialize>(&mut self, namespace: &str, key: &str, value: &T) {
        if let Ok(v) = serde_json::to_value(value) {
            self.entries.insert(format!("{namespace}.{key}"), v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_do_not_collide() {
        let mut p = Private::default();
        p.set("etag", &"abc");
        p.set_in("aws", "etag", &1);
        let back = Private::from_bytes(&p.to_bytes());
        assert_eq!(back.get::<String>("etag").as_deref(), Some("abc"));
        assert_eq!(back.get_in::<i32>("aws", "etag"), Some(1));
        assert_eq!(Private::from_bytes(b"\x00garbage"), Private::default());
    }
}
