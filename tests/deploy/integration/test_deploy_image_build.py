"""Replays each Dockerfile's build stage without Docker: a scratch context made of exactly what the COPY lines
copy, the same `uv sync` commands, then the runtime checks on the resulting virtualenv (console script, entry
point import, dbmate and the migrations inside the installed packages). Proves that the image's layers are
enough to run the service: a missing COPY or an undeclared dependency fails here."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.kit import REPO, SERVICES, ServiceSpec, copy_parts, parse_dockerfile, run_command, workspace

pytestmark = pytest.mark.slow
SPECS = list(SERVICES.values())


def _copy_into(sources: list[str], destination: str, workdir: Path) -> None:
    """Docker's COPY: a directory's contents go into the destination; files go into it when it ends with '/'."""
    dest = workdir / destination
    for source in sources:
        src = REPO / source
        if src.is_dir():
            shutil.copytree(src, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target = dest / src.name if destination.endswith("/") or len(sources) > 1 else dest
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def _build(spec: ServiceSpec, root: Path) -> Path:
    """Run the build stage's COPY and `uv sync` steps; returns the virtualenv."""
    build = parse_dockerfile(spec.dockerfile).stage("build")
    workdir = root / "src"
    workdir.mkdir()
    venv = root / "venv"
    env = {
        **os.environ,
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_PYTHON": getattr(sys, "_base_executable", sys.executable),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_LINK_MODE": "hardlink",  # the image copies; hard links are enough (and faster) here
        "UV_COMPILE_BYTECODE": "0",
        "UV_NO_PROGRESS": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    for instruction in build.instructions:
        if instruction.keyword == "COPY":
            flags, sources, destination = copy_parts(instruction)
            assert "from" not in flags
            _copy_into(sources, destination, workdir)
        elif instruction.keyword == "RUN" and "uv sync" in instruction.args:
            command = shlex.split(run_command(instruction))
            result = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, f"{spec.name}: {' '.join(command)}\n{result.stderr[-3000:]}"
    return venv


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_build_stage_produces_a_runnable_venv(spec: ServiceSpec, tmp_path: Path) -> None:
    if shutil.which("uv") is None:
        pytest.skip("uv is not on PATH")
    venv = _build(spec, tmp_path)
    python = venv / "bin" / "python"
    assert (venv / "bin" / spec.script).is_file(), f"console script {spec.script} not installed"
    module, _, attr = workspace()[spec.package].scripts[spec.script].partition(":")
    probe = (
        "import importlib, pathlib, sys\n"
        f"m = importlib.import_module({module!r}); assert callable(getattr(m, {attr!r}))\n"
        "print(pathlib.Path(m.__file__).resolve())\n"
    )
    package = spec.package.replace("-", "_")
    if spec.env_prefix and (REPO / spec.member / "src" / package / "migrations").is_dir():
        probe += (
            "import livestudio_runtime.migrations as rm\n"
            "assert sorted(rm.RUNTIME_MIGRATIONS.glob('*.sql')), 'runtime migrations not packaged'\n"
            f"own = pathlib.Path(importlib.import_module({package!r}).__file__).parent / 'migrations'\n"
            "assert sorted(own.glob('*.sql')), f'no migrations packaged in {own}'\n"
            "print(rm.dbmate_executable())\n"
        )
    # Run with only the venv (no repo on sys.path), as the runtime stage does.
    result = subprocess.run(
        [str(python), "-I", "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"{spec.name}: {result.stderr[-3000:]}"
    lines = result.stdout.split()
    assert str(venv) in lines[0], f"{module} imported from {lines[0]}, not from the image's venv"
    if len(lines) > 1:
        assert lines[1].startswith(str(venv)), f"dbmate resolves to {lines[1]}, not the venv's"
    installed = {p.name.split("-")[0] for p in venv.glob("lib/python*/site-packages/*.dist-info")}
    assert "livestudio_devinfra" not in installed, "test-only infrastructure must not be in the image"
