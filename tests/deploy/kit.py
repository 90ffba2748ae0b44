"""What the deploy tests share: the repo's workspace, Dockerfile parsing, a kustomize renderer, the inventory of
Prometheus metrics defined in the source tree, PromQL metric-name extraction, Markdown anchors and promtool.

Everything here reads files; nothing needs Docker, a cluster or network (except `ensure_prometheus_tools`, which
installs Debian's `prometheus` package with apt when promtool is missing).
"""

from __future__ import annotations

import ast
import copy
import functools
import importlib
import json
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE_FILE = REPO / "docker-compose.yml"
K8S_BASE = DEPLOY / "k8s" / "base"
K8S_OVERLAY = DEPLOY / "k8s" / "overlays" / "example"
PROMETHEUS_DIR = DEPLOY / "prometheus"
ALERTS_FILE = PROMETHEUS_DIR / "alerts.yml"
ALERTS_TEST_FILE = PROMETHEUS_DIR / "alerts_test.yml"
GRAFANA_DIR = DEPLOY / "grafana"
RUNBOOK = DEPLOY / "RUNBOOK.md"
METRICS_DOC = DEPLOY / "METRICS.md"


# --- the services as deployed ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceSpec:
    """One deployable: where it lives, its package, console script, port and env prefix (None: not a settings app)."""

    name: str
    member: str
    package: str
    script: str
    port: int
    env_prefix: str | None
    settings_module: str | None

    @property
    def dockerfile(self) -> Path:
        return REPO / self.member / "Dockerfile"


SERVICES: dict[str, ServiceSpec] = {
    "ingest": ServiceSpec(
        "ingest",
        "services/ingest",
        "livestudio-ingest",
        "livestudio-ingest",
        8101,
        "INGEST_",
        "livestudio_ingest.settings",
    ),
    "analytics": ServiceSpec(
        "analytics",
        "services/analytics",
        "livestudio-analytics",
        "livestudio-analytics",
        8102,
        "ANALYTICS_",
        "livestudio_analytics.settings",
    ),
    "commission": ServiceSpec(
        "commission",
        "services/commission",
        "livestudio-commission",
        "livestudio-commission",
        8103,
        "COMMISSION_",
        "livestudio_commission.settings",
    ),
    "gateway": ServiceSpec(
        "gateway",
        "services/gateway",
        "livestudio-gateway",
        "livestudio-gateway",
        8000,
        "GATEWAY_",
        "livestudio_gateway.settings",
    ),
    "alerts": ServiceSpec(
        "alerts",
        "services/alerts",
        "livestudio-alerts",
        "livestudio-alerts",
        8104,
        "ALERTS_",
        "livestudio_alerts.settings",
    ),
    "simulator": ServiceSpec("simulator", "libs/shopee_client", "shopee-client", "shopee-sim", 8900, None, None),
}
APP_SERVICES = [s for s in SERVICES.values() if s.env_prefix is not None]


# --- the uv workspace --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    path: str
    name: str
    pyproject: dict[str, Any]

    @property
    def scripts(self) -> dict[str, str]:
        scripts: dict[str, str] = self.pyproject.get("project", {}).get("scripts", {})
        return scripts

    @property
    def workspace_deps(self) -> list[str]:
        sources = self.pyproject.get("tool", {}).get("uv", {}).get("sources", {})
        return [name for name, src in sources.items() if isinstance(src, dict) and src.get("workspace")]


@functools.cache
def workspace() -> dict[str, Member]:
    """Project name -> member, from the root pyproject's workspace globs."""
    root = tomllib.loads((REPO / "pyproject.toml").read_text())
    members: dict[str, Member] = {}
    for pattern in root["tool"]["uv"]["workspace"]["members"]:
        for directory in sorted(REPO.glob(pattern)):
            pyproject = directory / "pyproject.toml"
            if pyproject.is_file():
                data = tomllib.loads(pyproject.read_text())
                name = data["project"]["name"]
                members[name] = Member(str(directory.relative_to(REPO)), name, data)
    return members


def workspace_closure(package: str) -> list[Member]:
    """`package` and every workspace member it depends on, transitively."""
    seen: dict[str, Member] = {}
    todo = [package]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        member = workspace()[name]
        seen[name] = member
        todo.extend(member.workspace_deps)
    return list(seen.values())


def settings_class(spec: ServiceSpec) -> type[Any]:
    """The pydantic-settings class of a service (the BaseSettings subclass defined in its settings module)."""
    from pydantic_settings import BaseSettings

    assert spec.settings_module is not None
    module = importlib.import_module(spec.settings_module)
    found = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, BaseSettings) and obj.__module__ == module.__name__
    ]
    assert found, f"no settings class in {spec.settings_module}"
    # The one whose env prefix is the service's (a module may define helper settings classes too).
    for cls in found:
        if cls.model_config.get("env_prefix", "").upper() == spec.env_prefix:
            return cls
    raise AssertionError(f"no settings class with env_prefix {spec.env_prefix} in {spec.settings_module}")


def settings_env_vars(spec: ServiceSpec) -> dict[str, Any]:
    """Env var name -> pydantic FieldInfo for every field of the service's settings."""
    cls = settings_class(spec)
    assert spec.env_prefix is not None
    out: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        out[(spec.env_prefix + name).upper()] = info
        if isinstance(info.validation_alias, str):
            out[info.validation_alias.upper()] = info
    return out


def service_available(spec: ServiceSpec) -> bool:
    """True when the service's package has its entry-point module (services are written in parallel)."""
    target = spec.package.replace("-", "_") if spec.env_prefix else "shopee_client"
    module = f"{target}.main" if spec.env_prefix else "shopee_client.simulator.cli"
    try:
        importlib.import_module(module)
    except ModuleNotFoundError:
        return False
    return True


# --- Dockerfiles -------------------------------------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str
    args: str
    line: int

    def json_args(self) -> list[str] | None:
        text = self.args.strip()
        if text.startswith("["):
            value = json.loads(text)
            assert isinstance(value, list)
            return [str(v) for v in value]
        return None


@dataclass
class Stage:
    name: str | None
    base: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


@dataclass
class Dockerfile:
    path: Path
    args: dict[str, str]
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(name)


def parse_dockerfile(path: Path) -> Dockerfile:
    """A small parser: continuation lines, comments, global ARGs, stages and their instructions."""
    logical: list[tuple[int, str]] = []
    buffer = ""
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        buffer += stripped
        logical.append((start, buffer))
        buffer = ""
    assert not buffer, f"{path}: dangling line continuation"
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for number, text in logical:
        keyword, _, rest = text.partition(" ")
        keyword = keyword.upper()
        rest = rest.strip()
        if keyword == "FROM":
            parts = rest.split()
            parts = [p for p in parts if not p.startswith("--platform")]
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(name=name, base=parts[0]))
        elif not stages:
            if keyword == "ARG":
                key, _, value = rest.partition("=")
                args[key] = value
        else:
            stages[-1].instructions.append(Instruction(keyword, rest, number))
    return Dockerfile(path, args, stages)


def copy_parts(instruction: Instruction) -> tuple[dict[str, str], list[str], str]:
    """COPY flags, sources and destination."""
    tokens = instruction.json_args() or instruction.args.split()
    flags: dict[str, str] = {}
    rest: list[str] = []
    for token in tokens:
        if token.startswith("--") and not rest:
            key, _, value = token[2:].partition("=")
            flags[key] = value
        else:
            rest.append(token)
    assert len(rest) >= 2, f"COPY needs a source and a destination: {instruction.args}"
    return flags, rest[:-1], rest[-1]


def run_command(instruction: Instruction) -> str:
    """The shell command of a RUN, without BuildKit flags such as --mount=..."""
    tokens = instruction.args.split(" ")
    while tokens and tokens[0].startswith("--"):
        tokens.pop(0)
    return " ".join(tokens).strip()


def resolve_args(text: str, dockerfile: Dockerfile, stage: Stage) -> str:
    values = dict(dockerfile.args)
    for arg in stage.all("ARG"):
        key, _, value = arg.args.partition("=")
        values.setdefault(key, value)
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values.get(m.group(1) or m.group(2), m.group(0)), text)


# --- compose -----------------------------------------------------------------------------------------------


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def load_yaml_all(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def compose() -> dict[str, Any]:
    data = load_yaml(COMPOSE_FILE)
    assert isinstance(data, dict)
    return data


INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}")


def interpolations(value: Any) -> Iterator[re.Match[str]]:
    """Every ${VAR...} reference anywhere in a compose value."""
    if isinstance(value, str):
        yield from INTERPOLATION.finditer(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from interpolations(key)
            yield from interpolations(item)
    elif isinstance(value, list):
        for item in value:
            yield from interpolations(item)


def interpolate(value: str, env: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group("name"), match.group("op") or "", match.group("arg")
        current = env.get(name)
        if op in (":-",):
            return current if current else arg
        if op == "-":
            return current if current is not None else arg
        if op in (":?", "?"):
            assert current, f"compose requires {name}: {arg}"
            return current
        return current or ""

    return INTERPOLATION.sub(one, value)


# --- kustomize (the subset our manifests use) --------------------------------------------------------------

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass", "PriorityClass"}
MERGE_KEYS = ("name", "containerPort", "mountPath")


def _merge_list(base: list[Any], patch: list[Any]) -> list[Any]:
    if not all(isinstance(x, dict) for x in base + patch):
        return copy.deepcopy(patch)
    for key in MERGE_KEYS:
        if all(key in x for x in base + patch) and base + patch:
            # Like kustomize: the patch's items first (merged into their base item), then the base's others.
            index = {item[key]: item for item in base}
            merged = [strategic_merge(index[i[key]], i) if i[key] in index else copy.deepcopy(i) for i in patch]
            named = {i[key] for i in patch}
            return merged + [copy.deepcopy(i) for i in base if i[key] not in named]
    return copy.deepcopy(patch)


def strategic_merge(base: Any, patch: Any) -> Any:
    """Strategic-merge-patch semantics for the fields we patch: maps merge, named lists merge by name."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = copy.deepcopy(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = strategic_merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
        return out
    if isinstance(base, list) and isinstance(patch, list):
        return _merge_list(base, patch)
    return copy.deepcopy(patch)


def _set_images(node: Any, images: list[dict[str, str]]) -> None:
    if isinstance(node, dict):
        for key in ("containers", "initContainers"):
            for container in node.get(key, []) or []:
                name, _, tag = container.get("image", "").partition(":")
                for rule in images:
                    if rule["name"] == name:
                        new_name = rule.get("newName", name)
                        new_tag = rule.get("newTag", tag)
                        container["image"] = f"{new_name}:{new_tag}" if new_tag else new_name
        for value in node.values():
            _set_images(value, images)
    elif isinstance(node, list):
        for value in node:
            _set_images(value, images)


def render_kustomization(directory: Path) -> list[dict[str, Any]]:
    """Render resources, namespace, images and strategic-merge patches (what our base and overlays use)."""
    kustomization = load_yaml(directory / "kustomization.yaml")
    supported = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
    unsupported = set(kustomization) - supported
    assert not unsupported, f"{directory}: the test renderer does not support {sorted(unsupported)}"
    docs: list[dict[str, Any]] = []
    for entry in kustomization.get("resources", []):
        target = (directory / entry).resolve()
        if target.is_dir():
            docs.extend(render_kustomization(target))
        else:
            docs.extend(load_yaml_all(target))
    for patch_entry in kustomization.get("patches", []):
        assert set(patch_entry) == {"path"}, f"only file strategic-merge patches are supported: {patch_entry}"
        for patch in load_yaml_all(directory / patch_entry["path"]):
            matches = [
                d
                for d in docs
                if d["kind"] == patch["kind"]
                and d["metadata"]["name"] == patch["metadata"]["name"]
                and d["apiVersion"] == patch["apiVersion"]
            ]
            assert len(matches) == 1, f"patch {patch_entry['path']} matches {len(matches)} resources"
            index = docs.index(matches[0])
            docs[index] = strategic_merge(matches[0], patch)
    if "namespace" in kustomization:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = kustomization["namespace"]
    if "images" in kustomization:
        _set_images(docs, kustomization["images"])
    return docs


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


# --- metrics defined in the source tree --------------------------------------------------------------------

METRIC_CLASSES = {"Counter": "counter", "Gauge": "gauge", "Histogram": "histogram", "Summary": "summary"}
METRIC_CLASSES |= {"Info": "info", "Enum": "stateset"}
SOURCE_ROOTS = ("libs", "services")


@dataclass(frozen=True)
class MetricDef:
    name: str  # the family name as exposed: counters end in _total, info in _info
    kind: str
    labels: tuple[str, ...]
    where: str

    def samples(self) -> set[str]:
        """Sample names a query may use for this family."""
        if self.kind == "counter":
            base = self.name.removesuffix("_total")
            return {self.name, f"{base}_created"}
        if self.kind == "histogram":
            return {self.name, *(f"{self.name}_{s}" for s in ("bucket", "sum", "count", "created"))}
        if self.kind == "summary":
            return {self.name, *(f"{self.name}_{s}" for s in ("sum", "count", "created"))}
        return {self.name}


_CONSTANTS: dict[str, str] = {}
"""Module-level string constants of the source tree (NAME -> value), to resolve e.g. a metric prefix constant."""


def _const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return _CONSTANTS.get(node.id)
    if isinstance(node, ast.Attribute):
        return _CONSTANTS.get(node.attr)
    return None


def _collect_constants(trees: list[ast.Module]) -> None:
    seen: dict[str, set[str]] = {}
    for tree in trees:
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                value = node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    seen.setdefault(node.targets[0].id, set()).add(value.value)
    _CONSTANTS.clear()
    _CONSTANTS.update({k: next(iter(v)) for k, v in seen.items() if len(v) == 1})  # ambiguous names stay unresolved


def _str_list(node: ast.AST | None) -> tuple[str, ...] | None:
    if isinstance(node, ast.List | ast.Tuple):
        values = [_const_str(e) for e in node.elts]
        if all(v is not None for v in values):
            return tuple(v for v in values if v is not None)
    return None


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _metric_from_call(node: ast.Call, where: str) -> MetricDef | None:
    callee = _callee(node)
    if callee not in METRIC_CLASSES:
        return None
    kwargs = {k.arg: k.value for k in node.keywords if k.arg}
    name = _const_str(node.args[0] if node.args else kwargs.get("name"))
    if name is None:
        return None
    labels = _str_list(node.args[2] if len(node.args) > 2 else kwargs.get("labelnames")) or ()
    parts = [_const_str(kwargs.get("namespace")), _const_str(kwargs.get("subsystem")), name]
    full = "_".join(p for p in parts if p)
    unit = _const_str(kwargs.get("unit"))
    if unit and not full.endswith(f"_{unit}"):
        full = f"{full}_{unit}"
    kind = METRIC_CLASSES[callee]
    if kind == "counter":
        full = full.removesuffix("_total") + "_total"
    elif kind == "info":
        full = f"{full}_info"
    return MetricDef(full, kind, labels, where)


def _litestar_http_metrics(tree: ast.AST, where: str) -> list[MetricDef]:
    """Litestar's PrometheusConfig(prefix=...) defines these HTTP metrics in the library for our app."""
    out: list[MetricDef] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _callee(node) == "PrometheusConfig":
            kwargs = {k.arg: k.value for k in node.keywords if k.arg}
            prefix = _const_str(kwargs.get("prefix")) or "litestar"
            labels = ("app_name", "method", "path", "status_code")
            out += [
                MetricDef(f"{prefix}_requests_total", "counter", labels, where),
                MetricDef(f"{prefix}_requests_error_total", "counter", labels, where),
                MetricDef(f"{prefix}_request_duration_seconds", "histogram", labels, where),
                MetricDef(f"{prefix}_requests_in_progress", "gauge", labels, where),
            ]
    return out


@functools.cache
def metric_inventory() -> dict[str, MetricDef]:
    """Every Prometheus metric family defined with a literal name under libs/*/src and services/*/src."""
    parsed: list[tuple[str, ast.Module]] = []
    for root in SOURCE_ROOTS:
        for path in sorted((REPO / root).glob("*/src/**/*.py")):
            try:
                parsed.append((str(path.relative_to(REPO)), ast.parse(path.read_text(), filename=str(path))))
            except SyntaxError:  # a file being written right now by someone else
                continue
    _collect_constants([tree for _, tree in parsed])
    out: dict[str, MetricDef] = {}
    for where, tree in parsed:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                metric = _metric_from_call(node, where)
                if metric is not None:
                    out.setdefault(metric.name, metric)
        for metric in _litestar_http_metrics(tree, where):
            out.setdefault(metric.name, metric)
    return out


def sample_names() -> dict[str, MetricDef]:
    """Sample name (as used in PromQL) -> its family."""
    out: dict[str, MetricDef] = {}
    for metric in metric_inventory().values():
        for sample in metric.samples():
            out[sample] = metric
    return out


# --- PromQL ------------------------------------------------------------------------------------------------

PROMQL_KEYWORDS = {
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "inf",
    "nan",
    "atan2",
}
PROMETHEUS_BUILTIN_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}


def promql_metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (functions, keywords, labels, durations and strings removed)."""
    text = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', expr)
    text = re.sub(r"\$\{?\w+\}?", "1", text)  # Grafana variables such as $__rate_interval
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names: set[str] = set()
    for match in re.finditer(r"(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?", text):
        word, call = match.group(1), match.group(2)
        if call or word.lower() in PROMQL_KEYWORDS:
            continue
        names.add(word)
    return names


# --- Markdown ----------------------------------------------------------------------------------------------


def markdown_anchors(path: Path) -> set[str]:
    """GitHub-style heading anchors: lower-case, punctuation dropped, spaces to hyphens, duplicates numbered."""
    anchors: set[str] = set()
    counts: dict[str, int] = {}
    in_code = False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        match = None if in_code else re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        text = re.sub(r"`([^`]*)`", r"\1", match.group(2))
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        n = counts.get(slug, 0)
        counts[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def markdown_table(path: Path, first_header: str) -> list[dict[str, str]]:
    """Rows of the Markdown table whose first column header is `first_header`."""
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    for line in path.read_text().splitlines():
        if not line.startswith("|"):
            header = None if rows or header else header
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            if cells[0].lower() == first_header.lower():
                header = [c.lower() for c in cells]
            continue
        if set(cells[0]) <= {"-", ":", " "}:
            continue
        rows.append(dict(zip(header, cells, strict=False)))
    return rows


# --- Prometheus tooling ------------------------------------------------------------------------------------


def ensure_prometheus_tools() -> tuple[str, str] | None:
    """Paths of promtool and prometheus, installing Debian's package when apt exists; None when there is no apt.

    Raises RuntimeError when apt exists but the install fails (that must fail the tests, not skip them).
    """
    promtool, prometheus = shutil.which("promtool"), shutil.which("prometheus")
    if promtool and prometheus:
        return promtool, prometheus
    apt = shutil.which("apt-get")
    if apt is None:
        return None
    sudo: list[str] = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([*sudo, apt, "update"], [*sudo, apt, "install", "-y", "--no-install-recommends", "prometheus"]):
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr[-2000:]}")
    promtool, prometheus = shutil.which("promtool"), shutil.which("prometheus")
    if not (promtool and prometheus):
        raise RuntimeError("apt-get installed `prometheus` but promtool/prometheus are not on PATH")
    return promtool, prometheus
