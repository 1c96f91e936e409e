//! Registry-style documentation generated from schemas: the descriptions in
//! the schema are the source, examples come from an `examples/` folder laid
//! out like Terraform's registry expects.
//!
//! ```text
//! examples/provider/provider.tf                 -> docs/index.md
//! examples/resources/TYPE/resource.tf, import.sh -> docs/resources/NAME.md
//! examples/data-sources/TYPE/data-source.tf     -> docs/data-sources/NAME.md
//! examples/ephemeral-resources/TYPE/ephemeral-resource.tf
//! examples/actions/TYPE/action.tf
//! examples/functions/NAME/function.tf
//! ```
//!
//! [`render`] returns every page; [`sync`] writes them or, in check mode,
//! reports which pages are stale.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::function::Signature;
use crate::provider::Provider;
use crate::schema::{Attribute, AttributeType, Block, Nesting, Schema};
use crate::value::Type;

/// Renders every documentation page, keyed by path relative to `docs/`.
pub fn render(provider: &dyn Provider, examples: &Path) -> BTreeMap<PathBuf, String> {
    let name = provider.type_name().to_owned();
    let mut pages = BTreeMap::new();
    let short = |t: &str| t.strip_prefix(&format!("{name}_")).unwrap_or(t).to_owned();
    let example = |kind: &str, t: &str, file: &str| read(&examples.join(kind).join(t).join(file));

    let mut index = format!(
        "---\npage_title: \"{name} Provider\"\ndescription: |-\n  {}\n---\n\n# {name} Provider\n\n",
        first_line(&provider.schema().block.description)
    );
    push_description(&mut index, &provider.schema().block.description);
    if let Some(ex) = read(&examples.join("provider/provider.tf")) {
        let _ = write!(
            index,
            "## Example Usage\n\n```terraform\n{}\n```\n\n",
            ex.trim_end()
        );
    }
    index.push_str("## Schema\n\n");
    schema_sections(&mut index, &provider.schema().block, "");
    pages.insert(PathBuf::from("index.md"), index);

    for r in provider.resources() {
        let t = r.type_name().to_owned();
        let mut page = page_head(&name, &t, "Resource", &r.schema());
        if let Some(ex) = example("resources", &t, "resource.tf") {
            let _ = write!(
                page,
                "## Example Usage\n\n```terraform\n{}\n```\n\n",
                ex.trim_end()
            );
        }
        page.push_str("## Schema\n\n");
        schema_sections(&mut page, &r.schema().block, "");
        if let Some(ex) = example("resources", &t, "import.sh") {
            let _ = write!(page, "## Import\n\nImport is supported using the following syntax:\n\n```shell\n{}\n```\n", ex.trim_end());
        }
        if let Some(id) = r.identity_schema() {
            page.push_str("\nImport blocks may also name the object by identity:\n\n");
            for a in &id.attributes {
                let req = if a.required_for_import {
                    "Required"
                } else {
                    "Optional"
                };
                let _ = writeln!(
                    page,
                    "- `{}` ({}, {req}) {}",
                    a.name,
                    type_name(&a.ty),
                    a.description
                );
            }
        }
        pages.insert(PathBuf::from(format!("resources/{}.md", short(&t))), page);
    }
    for d in provider.data_sources() {
        let t = d.type_name().to_owned();
        let mut page = page_head(&name, &t, "Data Source", &d.schema());
        if let Some(ex) = example("data-sources", &t, "data-source.tf") {
            let _ = write!(
                page,
                "## Example Usage\n\n```terraform\n{}\n```\n\n",
                ex.trim_end()
            );
        }
        page.push_str("## Schema\n\n");
        schema_sections(&mut page, &d.schema().block, "");
        pages.insert(
            PathBuf::from(format!("data-sources/{}.md", short(&t))),
            page,
        );
    }
    for e in provider.ephemeral_resources() {
        let t = e.type_name().to_owned();
        let mut page = page_head(&name, &t, "Ephemeral Resource", &e.schema());
        if let Some(ex) = example("ephemeral-resources", &t, "ephemeral-resource.tf") {
            let _ = write!(
                page,
                "## Example Usage\n\n```terraform\n{}\n```\n\n",
                ex.trim_end()
            );
        }
        page.push_str("## Schema\n\n");
        schema_sections(&mut page, &e.schema().block, "");
        pages.insert(
            PathBuf::from(format!("ephemeral-resources/{}.md", short(&t))),
            page,
        );
    }
    for a in provider.actions() {
        let t = a.type_name().to_owned();
        let mut page = page_head(&name, &t, "Action", &a.schema());
        if let Some(ex) = example("actions", &t, "action.tf") {
            let _ = write!(
                page,
                "## Example Usage\n\n```terraform\n{}\n```\n\n",
                ex.trim_end()
            );
        }
        page.push_str("## Schema\n\n");
        schema_sections(&mut page, &a.schema().block, "");
        pages.insert(PathBuf::from(format!("actions/{}.md", short(&t))), page);
    }
    for l in provider.list_resources() {
        let t = l.type_name().to_owned();
        let mut page = page_head(&name, &t, "List Resource", &l.schema());
        if let Some(ex) = example("list-resources", &t, "query.tfquery.hcl") {
            let _ = write!(
                page,
                "## Example Usage\n\nIn a `.tfquery.hcl` file, then `terraform query` (add `-generate-config-out=FILE` for resource and import blocks):\n\n```terraform\n{}\n```\n\n",
                ex.trim_end()
            );
        }
        page.push_str("## Schema (the `config` block)\n\n");
        schema_sections(&mut page, &l.schema().block, "");
        pages.insert(
            PathBuf::from(format!("list-resources/{}.md", short(&t))),
            page,
        );
    }
    for f in provider.functions() {
        let sig = f.signature();
        let mut page = format!(
            "---\npage_title: \"{} function - {name}\"\ndescription: |-\n  {}\n---\n\n# function: {}\n\n",
            f.name(),
            sig.summary,
            f.name()
        );
        push_description(&mut page, &sig.description);
        if let Some(ex) = example("functions", f.name(), "function.tf") {
            let _ = write!(
                page,
                "## Example Usage\n\n```terraform\n{}\n```\n\n",
                ex.trim_end()
            );
        }
        function_signature(&mut page, &name, f.name(), &sig);
        pages.insert(PathBuf::from(format!("functions/{}.md", f.name())), page);
    }
    pages
}

/// Writes `pages` under `out` (`check = false`), or returns the pages that
/// differ from what is there (`check = true`). Pages not rendered any more
/// are reported or removed too.
pub fn sync(
    pages: &BTreeMap<PathBuf, String>,
    out: &Path,
    check: bool,
) -> std::io::Result<Vec<PathBuf>> {
    let mut stale = Vec::new();
    for (rel, content) in pages {
        let path = out.join(rel);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(content.as_str()) {
            stale.push(rel.clone());
            if !check {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(&path, content)?;
            }
        }
    }
    for existing in walk(out) {
        let rel = existing
            .strip_prefix(out)
            .unwrap_or(&existing)
            .to_path_buf();
        if existing.extension().is_some_and(|e| e == "md") && !pages.contains_key(&rel) {
            stale.push(rel);
            if !check {
                std::fs::remove_file(&existing)?;
            }
        }
    }
    Ok(stale)
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn first_line(s: &str) -> String {
    s.split(". ")
        .next()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_owned()
        + "."
}

fn push_description(page: &mut String, d: &str) {
    if !d.is_empty() {
        page.push_str(d.trim());
        page.push_str("\n\n");
    }
}

fn page_head(provider: &str, t: &str, kind: &str, schema: &Schema) -> String {
    let d = &schema.block.description;
    let mut page = format!(
        "---\npage_title: \"{t} {kind} - {provider}\"\ndescription: |-\n  {}\n---\n\n# {t} ({kind})\n\n",
        first_line(d)
    );
    push_description(&mut page, d);
    page
}

fn type_name(t: &Type) -> String {
    match t {
        Type::Bool => "Boolean".into(),
        Type::Number => "Number".into(),
        Type::String => "String".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(e) => format!("List of {}", type_name(e)),
        Type::Set(e) => format!("Set of {}", type_name(e)),
        Type::Map(e) => format!("Map of {}", type_name(e)),
        Type::Object(..) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

fn nesting_name(n: Nesting) -> &'static str {
    match n {
        Nesting::Single | Nesting::Group => "Single",
        Nesting::List => "List",
        Nesting::Set => "Set",
        Nesting::Map => "Map",
    }
}

fn anchor(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        format!("nestedblock--{name}")
    } else {
        format!("nestedblock--{prefix}--{name}")
    }
}

/// Required, Optional and Read-Only lists, then nested schemas.
fn schema_sections(page: &mut String, block: &Block, prefix: &str) {
    let mut required = Vec::new();
    let mut optional = Vec::new();
    let mut read_only = Vec::new();
    let mut nested: Vec<(String, Block)> = Vec::new();
    for a in &block.attributes {
        let line = attribute_line(a, prefix, &mut nested);
        if a.required {
            required.push(line);
        } else if a.optional {
            optional.push(line);
        } else {
            read_only.push(line);
        }
    }
    for b in &block.blocks {
        let mut kind = format!("Block {}", nesting_name(b.nesting));
        if b.max_items > 0 {
            let _ = write!(kind, ", Max: {}", b.max_items);
        }
        let line = format!(
            "- `{}` ({kind}) {} (see [below for nested schema](#{}))",
            b.name,
            b.block.description,
            anchor(prefix, &b.name)
        );
        if b.min_items > 0 {
            required.push(line);
        } else {
            optional.push(line);
        }
        nested.push((b.name.clone(), b.block.clone()));
    }
    for (title, lines) in [
        ("Required", required),
        ("Optional", optional),
        ("Read-Only", read_only),
    ] {
        if !lines.is_empty() {
            let _ = write!(page, "### {title}\n\n{}\n\n", lines.join("\n"));
        }
    }
    for (name, b) in nested {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let _ = write!(
            page,
            "<a id=\"{}\"></a>\n### Nested Schema for `{path}`\n\n",
            anchor(prefix, &name)
        );
        schema_sections(page, &b, &path.replace('.', "--"));
    }
}

fn attribute_line(a: &Attribute, prefix: &str, nested: &mut Vec<(String, Block)>) -> String {
    let mut kind = match &a.kind {
        AttributeType::Plain(t) => type_name(t),
        AttributeType::Nested(n, attrs) => {
            nested.push((
                a.name.clone(),
                Block {
                    attributes: attrs.clone(),
                    ..Block::default()
                },
            ));
            format!("Attributes {}", nesting_name(*n))
        }
    };
    if a.sensitive {
        kind.push_str(", Sensitive");
    }
    if a.write_only {
        kind.push_str(", Write-only");
    }
    if a.deprecated.is_some() {
        kind.push_str(", Deprecated");
    }
    let mut line = format!("- `{}` ({kind}) {}", a.name, a.description);
    if let Some(d) = &a.default {
        let shown = match d {
            crate::value::Value::String(s) => format!("`\"{s}\"`"),
            crate::value::Value::Bool(b) => format!("`{b}`"),
            crate::value::Value::Number(n) => format!("`{n}`"),
            _ => String::new(),
        };
        if !shown.is_empty()
            && !a.description.contains("Default")
            && !a.description.contains("default")
        {
            let _ = write!(line, " Default: {shown}.");
        }
    }
    for v in &a.validators {
        let _ = write!(line, " Must be {}.", v.description());
    }
    if let AttributeType::Nested(..) = &a.kind {
        let _ = write!(
            line,
            " (see [below for nested schema](#{}))",
            anchor(prefix, &a.name)
        );
    }
    line
}

fn function_signature(page: &mut String, provider: &str, name: &str, sig: &Signature) {
    let params: Vec<String> = sig
        .parameters
        .iter()
        .map(|p| format!("{} {}", p.name, type_name(&p.ty).to_lowercase()))
        .collect();
    let _ = write!(
        page,
        "## Signature\n\n```text\nprovider::{provider}::{name}({}) {}\n```\n\n## Arguments\n\n",
        params.join(", "),
        type_name(&sig.returns).to_lowercase()
    );
    for (i, p) in sig.parameters.iter().enumerate() {
        let _ = writeln!(
            page,
            "{}. `{}` ({}) {}",
            i + 1,
            p.name,
            type_name(&p.ty),
            p.description
        );
    }
    page.push('\n');
}
