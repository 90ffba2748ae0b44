"""Fixtures of the deploy tests: Debian's promtool/prometheus, installed once per session when missing."""

from __future__ import annotations

import pytest

from tests.deploy.kit import ensure_prometheus_tools


@pytest.fixture(scope="session")
def prometheus_tools() -> tuple[str, str]:
    """(promtool, prometheus) paths. Installs Debian's `prometheus` with apt when missing; fails loudly if that
    does not work on a machine with apt, and skips only where there is no apt at all."""
    try:
        tools = ensure_prometheus_tools()
    except RuntimeError as exc:
        pytest.fail(f"could not install Prometheus tooling with apt: {exc}")
    if tools is None:
        pytest.skip("promtool/prometheus are missing and this machine has no apt-get to install them")
    return tools
