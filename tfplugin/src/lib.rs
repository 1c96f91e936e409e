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

tokio::task_local! {
    static CURRENT_STOP: Stop;
}

/// The stop token of the operation the calling task serves: cancelled
/// when Terraform asks the provider to stop (Ctrl-C). Operations receive it
/// explicitly too (`ApplyRequest::stop`, ...); this reaches code that is
/// not handed a request, such as retry loops deep in a client layer. Outside
/// an operation it is a token that is never cancelled.
pub fn current_stop() -> Stop {
    CURRENT_STOP.try_with(Stop::clone).unwrap_or_default()
}

/// Runs `fut` with `stop` as its [`current_stop`] (the server does this for
/// every operation; tests of provider code can too).
pub async fn with_stop<F: std::future::Future>(stop: Stop, fut: F) -> F::Output {
    CURRENT_STOP.scope(stop, fut).await
}
pub mod docs;
pub mod logging;
pub mod serve;
pub mod server;
#[cfg(feature = "testing")]
pub mod testing;
