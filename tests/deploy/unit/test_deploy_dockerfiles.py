"""The Dockerfiles against the workspace (no Docker engine here): stages, COPY sources, the uv layers, the
package and console script they name, the port, the user and the healthcheck."""

from __future__ import annotations

import importlib
import re

import pytest

from tests.deploy.kit import (
    REPO,
    SERVICES,
    ServiceSpec,
    copy_parts,
    parse_dockerfile,
    resolve_args,
    run_command,
    settings_class,
    workspace,
    workspace_closure,
)

SPECS = list(SERVICES.values())


@pytest.fixture(params=SPECS, ids=[s.name for s in SPECS])
def spec(request: pytest.FixtureRequest) -> ServiceSpec:
    value: ServiceSpec = request.param
    return value


def test_each_deployable_has_a_dockerfile_in_its_member(spec: ServiceSpec) -> None:
    assert spec.dockerfile.is_file(), f"missing {spec.dockerfile.relative_to(REPO)}"
    assert spec.package in workspace(), f"{spec.package} is not a workspace member"
    assert workspace()[spec.package].path == spec.member


def test_stages_build_then_runtime_from_the_same_python(spec: ServiceSpec) -> None:
    dockerfile = parse_dockerfile(spec.dockerfile)
    front = ["dashboard"] if spec.name == "gateway" else []
    assert [s.name for s in dockerfile.stages] == [*front, "build", "runtime"]
    build, runtime = dockerfile.stages[-2:]
    assert resolve_args(build.base, dockerfile, build) == resolve_args(runtime.base, dockerfile, runtime)
    base = resolve_args(runtime.base, dockerfile, runtime)
    requires = workspace()[spec.package].pyproject["project"]["requires-python"]
    minimum = re.search(r">=\s*3\.(\d+)", requires)
    match = re.match(r"python:3\.(\d+)", base)
    assert minimum and match, (base, requires)
    assert int(match.group(1)) >= int(minimum.group(1)), f"{base} does not satisfy requires-python {requires}"


def test_every_copy_source_exists_and_stage_references_resolve(spec: ServiceSpec) -> None:
    dockerfile = parse_dockerfile(spec.dockerfile)
    names = [s.name for s in dockerfile.stages]
    for index, stage in enumerate(dockerfile.stages):
        for instruction in stage.all("COPY") + stage.all("ADD"):
            assert instruction.keyword == "COPY", f"line {instruction.line}: use COPY, not ADD"
            flags, sources, _ = copy_parts(instruction)
            if "from" in flags:
                assert flags["from"] in names[:index], f"line {instruction.line}: unknown stage {flags['from']}"
                continue
            for source in sources:
                assert (REPO / source).exists(), f"line {instruction.line}: COPY source {source} does not exist"
                assert not source.startswith(("/", "..")), f"line {instruction.line}: {source} is outside the context"


def test_dependency_layer_then_code_layer_with_uv(spec: ServiceSpec) -> None:
    build = parse_dockerfile(spec.dockerfile).stage("build")
    syncs = [
        (i, run_command(x)) for i, x in enumerate(build.instructions) if x.keyword == "RUN" and "uv sync" in x.args
    ]
    assert len(syncs) == 2, "one uv sync for the dependencies, one for the code"
    (deps_at, deps), (code_at, code) = syncs
    for command in (deps, code):
        assert "--frozen" in command and "--no-dev" in command
        assert f"--package {spec.package}" in command, f"{command!r} must name {spec.package}"
    assert "--no-install-workspace" in deps
    assert "--no-editable" in code, "the runtime stage copies only the venv: install the code as wheels"
    copies = [(i, copy_parts(x)[1]) for i, x in enumerate(build.instructions) if x.keyword == "COPY"]
    before = [src for i, sources in copies if i < deps_at for src in sources]
    between = [src for i, sources in copies if deps_at < i < code_at for src in sources]
    assert "uv.lock" in before and "pyproject.toml" in before
    # uv resolves the workspace from every member's pyproject, so all of them are in the dependency layer.
    expected = {f"{m.path}/pyproject.toml" for m in workspace().values()}
    assert expected <= set(before), f"missing from the dependency layer: {sorted(expected - set(before))}"
    assert not any("/src" in s for s in before), "source code in the dependency layer breaks its cache"
    needed = {f"{m.path}/src" for m in workspace_closure(spec.package)}
    assert set(between) == needed, f"code layer copies {sorted(between)}, the package needs {sorted(needed)}"


def test_runtime_is_unprivileged_with_healthcheck_port_and_entrypoint(spec: ServiceSpec) -> None:
    dockerfile = parse_dockerfile(spec.dockerfile)
    runtime = dockerfile.final
    users = runtime.all("USER")
    assert users, "the runtime stage must set a USER"
    user = users[-1].args.split(":")[0]
    assert user not in {"0", "root"}
    assert [c for c in runtime.all("COPY") if copy_parts(c)[0].get("from") == "build"], "copy the venv from build"
    assert [int(e.args.split("/")[0]) for e in runtime.all("EXPOSE")] == [spec.port]
    health = runtime.all("HEALTHCHECK")
    assert len(health) == 1
    assert f"127.0.0.1:{spec.port}/" in health[0].args
    path = "/health/ready" if spec.env_prefix else "/__sim/health"
    assert path in health[0].args
    entrypoint = runtime.all("ENTRYPOINT")[-1].json_args()
    assert entrypoint == [spec.script], "exec form, the package's console script"
    env = " ".join(e.args for e in runtime.all("ENV"))
    assert "PATH=/app/.venv/bin:$PATH" in env
    if spec.env_prefix:
        assert f"{spec.env_prefix}HTTP_HOST=0.0.0.0" in env, "listen on all interfaces inside the container"
        assert f"{spec.env_prefix}HTTP_PORT={spec.port}" in env


def test_entry_point_is_declared_and_imports(spec: ServiceSpec) -> None:
    member = workspace()[spec.package]
    assert spec.script in member.scripts, f"{spec.package} declares no console script {spec.script}"
    module_name, _, attr = member.scripts[spec.script].partition(":")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attr)), f"{member.scripts[spec.script]} is not callable"


@pytest.mark.parametrize("spec", [s for s in SPECS if s.env_prefix], ids=lambda s: s.name)
def test_exposed_port_is_the_settings_default(spec: ServiceSpec) -> None:
    cls = settings_class(spec)
    assert cls.model_fields["http_port"].default == spec.port
    assert cls.model_config.get("env_prefix") == spec.env_prefix


def test_the_gateway_image_serves_the_dashboard_built_from_the_lock() -> None:
    dockerfile = parse_dockerfile(SERVICES["gateway"].dockerfile)
    stage = dockerfile.stage("dashboard")
    runs = [run_command(r) for r in stage.all("RUN")]
    assert any("npm ci" in r for r in runs), "install from the committed lock file"
    assert runs[-1] == "npm run build"
    copied = {src for c in stage.all("COPY") for src in copy_parts(c)[1]}
    assert "frontend/package-lock.json" in copied and "frontend/src" in copied
    assert not any("node_modules" in src or "dist" in src for src in copied), "build inside the image"
    runtime = dockerfile.final
    [into] = [copy_parts(c) for c in runtime.all("COPY") if copy_parts(c)[0].get("from") == "dashboard"]
    assert into[1] == ["/frontend/dist"]
    env = " ".join(e.args for e in runtime.all("ENV"))
    assert f"GATEWAY_DASHBOARD_DIR={into[2]}" in env, "the gateway must look where the build was copied"
