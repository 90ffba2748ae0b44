"""promtool (Debian's `prometheus` package, installed by the session fixture when missing) checks the rules and
the compose scrape config, and runs the alert unit tests in alerts_test.yml."""

from __future__ import annotations

import subprocess

from tests.deploy.kit import ALERTS_FILE, ALERTS_TEST_FILE, PROMETHEUS_DIR


def _promtool(promtool: str, *args: str) -> str:
    result = subprocess.run(
        [promtool, *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"promtool {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def test_alert_rules_are_valid(prometheus_tools: tuple[str, str]) -> None:
    out = _promtool(prometheus_tools[0], "check", "rules", ALERTS_FILE.name)
    assert "SUCCESS" in out


def test_compose_scrape_config_is_valid(prometheus_tools: tuple[str, str]) -> None:
    out = _promtool(prometheus_tools[0], "check", "config", "prometheus.yml")
    assert "SUCCESS" in out


def test_alert_unit_tests_pass(prometheus_tools: tuple[str, str]) -> None:
    out = _promtool(prometheus_tools[0], "test", "rules", ALERTS_TEST_FILE.name)
    assert "SUCCESS" in out and "FAILED" not in out
