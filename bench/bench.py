#!/usr/bin/env python3
"""Benchmark report for the tfplugin example provider.

Measures:
  * launch -> handshake line latency (median of N runs) and RSS at handshake;
  * `terraform plan -refresh=false` over COUNT kv_item resources versus COUNT
    terraform_data resources, both with applied state, in the same run.
Prints a table; exits non-zero only when something fails to run.
"""

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"


def client_cert(tmp):
    """A throwaway client certificate, like the one Terraform passes."""
    key, crt = os.path.join(tmp, "c.key"), os.path.join(tmp, "c.crt")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521",
         "-nodes", "-keyout", key, "-out", crt, "-days", "1", "-subj", "/CN=localhost"],
        check=True, capture_output=True)
    with open(crt) as f:
        return f.read()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def handshake(provider, runs, cert):
    env = dict(os.environ, TF_PLUGIN_MAGIC_COOKIE=COOKIE, PLUGIN_PROTOCOL_VERSIONS="5,6",
               PLUGIN_CLIENT_CERT=cert, PLUGIN_MIN_PORT="10000", PLUGIN_MAX_PORT="25000")
    times, rss = [], []
    for _ in range(runs):
        start = time.perf_counter()
        p = subprocess.Popen([provider], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = p.stdout.readline()
        times.append((time.perf_counter() - start) * 1000)
        rss.append(rss_kib(p.pid))
        p.terminate()
        p.wait()
        if not line.startswith(b"1|6|"):
            sys.exit(f"bad handshake line: {line!r}")
    return statistics.median(times), statistics.median(rss) / 1024


def terraform(tf, cwd, env, *args):
    start = time.perf_counter()
    r = subprocess.run([tf, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"terraform {' '.join(args)} failed in {cwd}:\n{r.stdout}\n{r.stderr}")
    return time.perf_counter() - start


def plan_time(tf, provider, count, runs):
    tmp = tempfile.mkdtemp(prefix="bench-")
    cli = os.path.join(tmp, "cli.tfrc")
    with open(cli, "w") as f:
        f.write('provider_installation {\n  dev_overrides { "onto-platform/kv" = "%s" }\n  direct {}\n}\n'
                % os.path.dirname(provider))
    env = dict(os.environ, TF_CLI_CONFIG_FILE=cli, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
    header = ('terraform {\n  required_providers {\n    kv = { source = "onto-platform/kv" }\n  }\n}\n'
              'provider "kv" {\n  directory = "%s/store"\n}\n' % tmp)
    configs = {
        # kv_value has terraform_data's schema size; kv_item is a large schema.
        "kv": header + 'resource "kv_value" "r" {\n  count = %d\n  name  = "v-${count.index}"\n  value = "v"\n}\n'
              % count,
        "kv_item": header + 'resource "kv_item" "r" {\n  count = %d\n  name  = "i-${count.index}"\n  value = "v"\n}\n'
              % count,
        "terraform_data": 'resource "terraform_data" "r" {\n  count = %d\n  input = "v"\n}\n' % count,
    }
    result = {}
    for name, hcl in configs.items():
        d = os.path.join(tmp, name)
        os.makedirs(d)
        with open(os.path.join(d, "main.tf"), "w") as f:
            f.write(hcl)
        terraform(tf, d, env, "apply", "-auto-approve", "-input=false")
    for name in configs:
        result[name] = []
    for _ in range(runs):  # interleave so both see the same machine load
        for name in configs:
            d = os.path.join(tmp, name)
            result[name].append(terraform(tf, d, env, "plan", "-refresh=false", "-input=false"))
    return {k: statistics.median(v) for k, v in result.items()}


def set_scaling(tf, provider, runs):
    """Planning a kv_item whose set attribute holds 500, then 5,000 elements."""
    tmp = tempfile.mkdtemp(prefix="bench-set-")
    cli = os.path.join(tmp, "cli.tfrc")
    with open(cli, "w") as f:
        f.write('provider_installation {\n  dev_overrides { "onto-platform/kv" = "%s" }\n  direct {}\n}\n'
                % os.path.dirname(provider))
    env = dict(os.environ, TF_CLI_CONFIG_FILE=cli, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
    out = {}
    for n in (500, 5000):
        d = os.path.join(tmp, str(n))
        os.makedirs(d)
        with open(os.path.join(d, "main.tf"), "w") as f:
            f.write('terraform {\n  required_providers {\n    kv = { source = "onto-platform/kv" }\n  }\n}\n'
                    'provider "kv" {\n  directory = "%s/store"\n}\n'
                    'resource "kv_item" "r" {\n  name   = "big"\n  value  = "v"\n'
                    '  labels = [%s]\n}\n' % (d, ", ".join('"label-%d"' % i for i in range(n))))
        out[n] = statistics.median(terraform(tf, d, env, "plan", "-input=false") for _ in range(runs))
    return out


def children(pid):
    """Direct children of a process."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat.rsplit(")", 1)[-1].split()
        if len(rest) > 1 and rest[1] == str(pid):
            kids.append(int(entry))
    return kids


def peak_provider_rss(tf, cwd, env, *args):
    """Runs terraform and returns (seconds, peak RSS of its provider child in MiB)."""
    start = time.perf_counter()
    p = subprocess.Popen([tf, *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while p.poll() is None:
        for kid in children(p.pid):
            try:
                with open(f"/proc/{kid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            peak = max(peak, int(line.split()[1]))
            except OSError:
                pass
        time.sleep(0.02)
    if p.returncode != 0:
        sys.exit(f"terraform {' '.join(args)} failed: {p.stderr.read().decode()}")
    return time.perf_counter() - start, peak / 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, method="GET"):
    import urllib.request
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read()


MIXED = """
resource "onto_network" "n" {
  name               = "bench"
  cidr_block         = "10.9.0.0/16"
  availability_zones = ["eu-west-1a", "eu-west-1b"]
  cache_subnets      = true
  nat_mode           = "none"
}
resource "onto_db" "d" {
  count      = 2
  name       = "bench-${count.index}"
  subnet_ids = onto_network.n.database_subnet_ids
}
resource "onto_cache" "c" {
  count      = 2
  name       = "bench-${count.index}"
  subnet_ids = onto_network.n.cache_subnet_ids
}
"""


def onto_bench(tf, provider, moto, count, runs):
    """plan -refresh=false of COUNT onto_registry vs terraform_data, and AWS
    calls per refreshed resource counted with moto's request recorder."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while True:
            try:
                http(url + "/moto-api/data.json")
                break
            except OSError:
                if time.time() > deadline:
                    sys.exit("moto did not start")
                time.sleep(0.1)
        tmp = tempfile.mkdtemp(prefix="bench-onto-")
        cli = os.path.join(tmp, "cli.tfrc")
        with open(cli, "w") as f:
            f.write('provider_installation {\n  dev_overrides { "onto-platform/onto" = "%s" }\n  direct {}\n}\n'
                    % os.path.dirname(provider))
        env = dict(os.environ, TF_CLI_CONFIG_FILE=cli, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1",
                   AWS_EC2_METADATA_DISABLED="true")
        configs = {
            "onto": 'terraform {\n  required_providers {\n    onto = { source = "onto-platform/onto" }\n  }\n}\n'
                    'provider "onto" {\n  region = "eu-west-1"\n  endpoint_url = "%s"\n'
                    '  access_key = "test"\n  secret_key = "test"\n}\n'
                    'resource "onto_registry" "r" {\n  count = %d\n  name  = "repo-${count.index}"\n}\n' % (url, count),
            "terraform_data": 'resource "terraform_data" "r" {\n  count = %d\n  input = "v"\n}\n' % count,
        }
        for name, hcl in configs.items():
            d = os.path.join(tmp, name)
            os.makedirs(d)
            with open(os.path.join(d, "main.tf"), "w") as f:
                f.write(hcl)
            terraform(tf, d, env, "apply", "-auto-approve", "-input=false")
        times = {name: [] for name in configs}
        for _ in range(runs):
            for name in configs:
                times[name].append(terraform(tf, os.path.join(tmp, name), env, "plan", "-refresh=false", "-input=false"))
        _, peak = peak_provider_rss(tf, os.path.join(tmp, "onto"), env, "plan", "-refresh=false", "-input=false")
        # AWS calls of one refreshing plan, by operation, for a mix of types.
        mixed = os.path.join(tmp, "mixed")
        os.makedirs(mixed)
        with open(os.path.join(mixed, "main.tf"), "w") as f:
            f.write(configs["onto"].split("resource ")[0] + MIXED)
        terraform(tf, mixed, env, "apply", "-auto-approve", "-input=false")
        calls = {}
        for d, label in ((os.path.join(tmp, "onto"), "onto_registry x%d" % count),
                         (mixed, "1 network, 2 onto_db, 2 onto_cache")):
            http(url + "/moto-api/recorder/reset-recording", "POST")
            http(url + "/moto-api/recorder/start-recording", "POST")
            terraform(tf, d, env, "plan", "-input=false")
            http(url + "/moto-api/recorder/stop-recording", "POST")
            ops = {}
            for line in http(url + "/moto-api/recorder/download-recording").decode().splitlines():
                if not line.strip():
                    continue
                rec = json.loads(line)
                target = (rec.get("headers") or {}).get("X-Amz-Target", "")
                body = rec.get("body") or ""
                found = re.search(r"Action=([A-Za-z0-9]+)", str(body))
                action = found.group(1) if found else None
                op = (target.split(".")[-1] if target else action) or (
                    rec.get("method", "?") + " " + rec.get("url", "?").split("?")[0])
                ops[op] = ops.get(op, 0) + 1
            calls[label] = ops
        return {k: statistics.median(v) for k, v in times.items()}, calls, peak
    finally:
        server.terminate()
        server.wait()


def platform_bench(tf, provider, moto):
    """examples/platform applied on the emulator (local state), timed."""
    import shutil
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true"))
    try:
        deadline = time.time() + 30
        while True:
            try:
                http(url + "/moto-api/data.json")
                break
            except OSError:
                if time.time() > deadline:
                    sys.exit("moto did not start")
                time.sleep(0.1)
        tmp = tempfile.mkdtemp(prefix="bench-platform-")
        shutil.copytree(os.path.join(repo, "modules"), os.path.join(tmp, "modules"))
        shutil.copytree(os.path.join(repo, "examples", "platform"), os.path.join(tmp, "examples", "platform"))
        d = os.path.join(tmp, "examples", "platform")
        main_tf = os.path.join(d, "main.tf")
        with open(main_tf) as f:
            text = f.read().replace('  backend "s3" {}\n', "")
        with open(main_tf, "w") as f:
            f.write(text)
        cli = os.path.join(tmp, "cli.tfrc")
        with open(cli, "w") as f:
            f.write('provider_installation {\n  dev_overrides { "onto-platform/onto" = "%s" }\n  direct {}\n}\n'
                    % os.path.dirname(provider))
        env = dict(os.environ, TF_CLI_CONFIG_FILE=cli, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1",
                   AWS_EC2_METADATA_DISABLED="true", AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   TF_VAR_aws_endpoint_url=url)
        terraform(tf, d, env, "init", "-input=false")
        terraform(tf, d, env, "workspace", "new", "dev")
        return terraform(tf, d, env, "apply", "-auto-approve", "-input=false", "-var-file=emulator.tfvars")
    finally:
        server.terminate()
        server.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--provider", required=True)
    ap.add_argument("--terraform", required=True)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--plan-runs", type=int, default=5)
    ap.add_argument("--onto", help="terraform-provider-onto binary: also benchmark onto_registry")
    ap.add_argument("--moto", help="moto_server executable (with --onto)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cert = client_cert(tmp)
    ms, mib = handshake(a.provider, a.runs, cert)
    plans = plan_time(a.terraform, a.provider, a.count, a.plan_runs)
    ratio = plans["kv"] / plans["terraform_data"]
    size = os.path.getsize(a.provider) / (1 << 20)
    print()
    print("| benchmark | result | target |")
    print("|---|---|---|")
    print(f"| launch -> handshake, median of {a.runs} | {ms:.1f} ms | <= 5 ms |")
    print(f"| RSS at handshake | {mib:.1f} MiB | <= 15 MiB |")
    print(f"| plan -refresh=false, {a.count} kv_value | {plans['kv']:.2f} s | |")
    print(f"| plan -refresh=false, {a.count} terraform_data | {plans['terraform_data']:.2f} s | |")
    print(f"| ratio kv_value / terraform_data (same schema size) | {ratio:.2f} | <= 1.3 |")
    print(f"| plan -refresh=false, {a.count} kv_item (17 attributes, 3 blocks) | {plans['kv_item']:.2f} s | |")
    print(f"| release binary size (kv) | {size:.1f} MiB | <= 40 MiB |")
    sets = set_scaling(a.terraform, a.provider, a.plan_runs)
    print(f"| plan of a 500-element set | {sets[500]:.2f} s | |")
    print(f"| plan of a 5,000-element set | {sets[5000]:.2f} s ({sets[5000] / sets[500]:.1f}x) | <= 12x |")
    if a.onto:
        all_calls = {}
        for count in (a.count, 1000):
            times, calls, peak = onto_bench(a.terraform, a.onto, a.moto, count, a.plan_runs)
            all_calls.update(calls)
            r = times["onto"] / times["terraform_data"]
            print(f"| plan -refresh=false, {count} onto_registry | {times['onto']:.2f} s | |")
            print(f"| ratio onto_registry / terraform_data, {count} resources | {r:.2f} | <= 1.3 |")
            print(f"| provider peak RSS, plan of {count} onto_registry | {peak:.1f} MiB | <= 60 MiB |")
        print(f"| release binary size (onto) | {os.path.getsize(a.onto) / (1 << 20):.1f} MiB | <= 40 MiB |")
        apply_s = platform_bench(a.terraform, a.onto, a.moto)
        print(f"| examples/platform apply on the emulator | {apply_s:.1f} s | <= 30 s |")
        print("| examples/platform destroy on the emulator | not measurable: moto never finishes deleting an ElastiCache group | <= 30 s |")
        print()
        for label, ops in all_calls.items():
            print(f"AWS calls of one refreshing plan ({label}): {sum(ops.values())} in all")
            for op, n in sorted(ops.items()):
                print(f"  {op}: {n}")


if __name__ == "__main__":
    main()
