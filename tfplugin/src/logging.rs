//! Logging: `tracing` events written to stderr as hclog JSON lines, which
//! go-plugin hands to Terraform as structured provider logs. The level
//! follows `TF_LOG_PROVIDER`, then `TF_LOG` (TRACE, DEBUG, INFO, WARN,
//! ERROR, JSON, OFF); unset means warnings and errors only.

use std::io::Write;

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// The most verbose level the environment asks for, or `None` for off.
pub fn level_from_env() -> Option<Level> {
    let raw = std::env::var("TF_LOG_PROVIDER")
        .or_else(|_| std::env::var("TF_LOG"))
        .unwrap_or_default();
    match raw.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => Some(Level::TRACE),
        "DEBUG" => Some(Level::DEBUG),
        "INFO" => Some(Level::INFO),
        "ERROR" => Some(Level::ERROR),
        "OFF" => None,
        _ => Some(Level::WARN),
    }
}

/// Installs the hclog JSON writer as the global subscriber (once).
pub fn init(module: &str) {
    let Some(level) = level_from_env() else {
        return;
    };
    // Transport crates log every frame at trace level, and request-signing
    // crates log canonical requests that include session tokens: keep them
    // to warnings whatever the level, so logs stay readable and secret-free.
    let quiet = [
        "h2",
        "hyper",
        "hyper_util",
        "tonic",
        "tower",
        "rustls",
        "tokio_rustls",
        "aws_sigv4",
        "aws_smithy_runtime",
        "aws_smithy_runtime_api",
        "aws_smithy_http",
        "aws_smithy_http_client",
        "aws_smithy_types",
        "aws_runtime",
        "aws_config",
        "aws_credential_types",
    ];
    let filter = tracing_subscriber::filter::Targets::new()
        .with_default(level)
        .with_targets(quiet.map(|t| (t, Level::WARN)));
    let layer = HclogLayer {
        module: module.to_owned(),
    }
    .with_filter(filter);
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// Formats events as hclog JSON lines.
pub struct HclogLayer {
    module: String,
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let line = self.format(event);
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(line.as_bytes());
    }
}

impl HclogLayer {
    fn format(&self, event: &Event<'_>) -> String {
        let meta = event.metadata();
        let mut fields = Fields(Map::new());
        event.record(&mut fields);
        let mut obj = fields.0;
        let message = obj.remove("message").unwrap_or(Json::String(String::new()));
        let level = match *meta.level() {
            Level::TRACE => "trace",
            Level::DEBUG => "debug",
            Level::INFO => "info",
            Level::WARN => "warn",
            Level::ERROR => "error",
        };
        obj.insert("@level".into(), level.into());
        obj.insert("@message".into(), message);
        obj.insert("@module".into(), self.module.clone().into());
        obj.insert("@timestamp".into(), timestamp().into());
        obj.insert(
            "@caller".into(),
            format!(
                "{}:{}",
                meta.file().unwrap_or("?"),
                meta.line().unwrap_or(0)
            )
            .into(),
        );
        let mut line = Json::Object(obj).to_string();
        line.push('\n');
        line
    }
}

fn timestamp() -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6][offset_hour sign:mandatory]:[offset_minute]"
    );
    time::OffsetDateTime::now_utc()
        .format(fmt)
        .unwrap_or_default()
}

struct Fields(Map<String, Json>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    struct Capture(Arc<Mutex<Vec<String>>>, HclogLayer);

    impl<S: Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
            self.0.lock().unwrap().push(self.1.format(event));
        }
    }

    #[test]
    fn lines_are_hclog_json() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sub = tracing_subscriber::registry().with(Capture(
            lines.clone(),
            HclogLayer {
                module: "provider".into(),
            },
        ));
        tracing::subscriber::with_default(sub, || tracing::info!(tf_rpc = "ReadResource", "hello"));
        let line = lines.lock().unwrap()[0].clone();
        let json: Json = serde_json::from_str(&line).unwrap();
        assert_eq!(json["@level"], "info");
        assert_eq!(json["@message"], "hello");
        assert_eq!(json["@module"], "provider");
        assert_eq!(json["tf_rpc"], "ReadResource");
        let ts = json["@timestamp"].as_str().unwrap();
        assert_eq!(ts.len(), "2006-01-02T15:04:05.000000+00:00".len(), "{ts}");
    }
}
