//! The "remote system": one JSON file per item in a directory.

use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// An item as the store keeps it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Record {
    pub id: String,
    pub name: String,
    pub value: Option<String>,
    pub labels: Option<Vec<String>>,
    pub tags: Option<std::collections::BTreeMap<String, String>>,
    pub secret: Option<String>,
    pub kind: String,
    pub revision: i64,
    pub token_version: Option<i64>,
    pub rules: Vec<Rule>,
    pub settings: Option<Settings>,
    #[serde(default)]
    pub touches: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Rule {
    pub priority: i64,
    pub action: String,
    pub uid: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Settings {
    pub ttl: Option<i64>,
    pub mode: Option<String>,
}

pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn open(dir: PathBuf) -> io::Result<Store> {
        std::fs::create_dir_all(&dir)?;
        Ok(Store { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    pub fn get(&self, name: &str) -> io::Result<Option<Record>> {
        match std::fs::read(self.path(name)) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(io::Error::other),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn put(&self, r: &Record) -> io::Result<()> {
        let tmp = self.dir.join(format!(".{}.tmp", r.name));
        std::fs::write(
            &tmp,
            serde_json::to_vec_pretty(r).map_err(io::Error::other)?,
        )?;
        std::fs::rename(tmp, self.path(&r.name))
    }

    pub fn delete(&self, name: &str) -> io::Result<()> {
        match std::fs::remove_file(self.path(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// A short random-looking id, unique enough for an example.
pub fn new_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    format!("{:016x}", h.finish())
}
