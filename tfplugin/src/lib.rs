pub mod proto {
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}
pub mod action;
pub mod data_source;
pub mod diag;
pub mod ephemeral;
pub mod function;
pub mod plan;
pub mod private;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod validate;
pub mod value;
pub use tokio_util::sync::CancellationToken as Stop;
pub mod docs;
pub mod logging;
pub mod serve;
pub mod server;
#[cfg(feature = "testing")]
pub mod testing;
