#!/usr/bin/env python3
"""Writes the Inputs and Outputs tables of every modules/*/README.md from
its variables.tf and outputs.tf (between the <!-- BEGIN/END TF DOCS -->
markers), so the tables never drift from the code. --check fails when a
README is stale."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "modules"
BLOCK = re.compile(r'^(variable|output) "([^"]+)" \{\n(.*?)^\}', re.S | re.M)


def attr(body, name):
    m = re.search(rf'^  {name}\s*=\s*(.+)$', body, re.M)
    return m.group(1).strip() if m else None


def multiline_type(body):
    m = re.search(r'^  type\s*=\s*(.+?)(?=^  \w+\s*[={]|\Z)', body, re.S | re.M)
    return " ".join(m.group(1).split()) if m else "any"


def tables(module):
    rows_in, rows_out = [], []
    for kind, name, body in BLOCK.findall((module / "variables.tf").read_text()):
        desc = (attr(body, "description") or '""').strip('"')
        default = attr(body, "default")
        required = "yes" if default is None and "default" not in body else "no"
        shown = "" if default is None else f"`{default}`"
        rows_in.append(f"| `{name}` | {desc} | `{multiline_type(body)}` | {shown} | {required} |")
    for kind, name, body in BLOCK.findall((module / "outputs.tf").read_text()):
        desc = (attr(body, "description") or '""').strip('"')
        rows_out.append(f"| `{name}` | {desc} |")
    return (
        "<!-- BEGIN TF DOCS -->\n## Inputs\n\n| Name | Description | Type | Default | Required |\n|---|---|---|---|---|\n"
        + "\n".join(rows_in)
        + "\n\n## Outputs\n\n| Name | Description |\n|---|---|\n"
        + "\n".join(rows_out)
        + "\n<!-- END TF DOCS -->"
    )


def main():
    check = "--check" in sys.argv
    stale = []
    for module in sorted(p for p in ROOT.iterdir() if p.is_dir()):
        readme = module / "README.md"
        text = readme.read_text()
        new = re.sub(r"<!-- BEGIN TF DOCS -->.*<!-- END TF DOCS -->", lambda _: tables(module), text, flags=re.S)
        if new != text:
            stale.append(str(readme))
            if not check:
                readme.write_text(new)
    if check and stale:
        print("stale module READMEs (run make docs):", *stale)
        sys.exit(1)


main()
