//! What the fuzz targets in `fuzz/` drive: the parsers of user input that
//! live inside the provider. Not part of the provider's interface.

pub use crate::cidr::Cidr;
pub use crate::objectives::human as duration_text;
pub use crate::windows::{overlaps as windows_overlap, parse as parse_window};

/// The import ID an `import` block's identity stands for.
pub fn import_id(identity: tfplugin::value::Value, key: &str) -> String {
    let req = tfplugin::resource::ImportRequest {
        id: String::new(),
        identity: Some(identity),
        stop: tfplugin::Stop::new(),
    };
    crate::identity::import_id(&req, key)
}
