//! A whole Terraform provider with one resource, `hello_file`: a file with
//! the content you give it. Copy it to start your own.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::sync::Arc;

use tfplugin::async_trait;
use tfplugin::diag::{Diagnostic, Diagnostics, Result};
use tfplugin::provider::Provider;
use tfplugin::resource::{ApplyRequest, ReadRequest, Resource};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::value::Value;

struct File;

fn state(path: &str, content: &str) -> Value {
    let attrs = [("path", path), ("content", content)];
    Value::Object(BTreeMap::from(attrs.map(|(k, v)| (k.to_owned(), v.into()))))
}

fn failed(path: &str) -> impl FnOnce(std::io::Error) -> Diagnostics + '_ {
    move |e| Diagnostic::error("File access failed", format!("{path}: {e}")).into()
}

fn write(planned: &Value) -> Result<Value> {
    let path = planned.get("path").as_str().unwrap_or_default();
    let content = planned.get("content").as_str().unwrap_or_default();
    std::fs::write(path, content).map_err(failed(path))?;
    Ok(state(path, content))
}

#[async_trait]
impl Resource for File {
    fn type_name(&self) -> &str {
        "hello_file"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .describe("A file with the given content.")
                .attribute(Attribute::string("path").required().requires_replace())
                .attribute(Attribute::string("content").required()),
        )
    }

    async fn create(&self, req: &mut ApplyRequest) -> Result<Value> {
        write(&req.planned)
    }

    async fn read(&self, req: &mut ReadRequest) -> Result<Option<Value>> {
        let path = req.state.get("path").as_str().unwrap_or_default();
        match std::fs::read_to_string(path) {
            Ok(content) => Ok(Some(state(path, &content))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None), // planned again
            Err(e) => Err(failed(path)(e)),
        }
    }

    async fn update(&self, req: &mut ApplyRequest) -> Result<Value> {
        write(&req.planned)
    }

    async fn delete(&self, req: &mut ApplyRequest) -> Result<()> {
        let path = req.prior.get("path").as_str().unwrap_or_default();
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(failed(path)(e)),
            _ => Ok(()),
        }
    }
}

struct Hello;

#[async_trait]
impl Provider for Hello {
    fn type_name(&self) -> &str {
        "hello"
    }

    fn schema(&self) -> Schema {
        Schema::new(Block::new())
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(File)]
    }
}

fn main() -> std::process::ExitCode {
    let options = tfplugin::serve::Options::new("registry.terraform.io/example/hello");
    tfplugin::serve::serve(Arc::new(Hello), options)
}
