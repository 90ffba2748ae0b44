"""Alert rules, Grafana dashboards, METRICS.md and RUNBOOK.md against each other and against the source tree:
every metric they use is defined in the code, every alert has a summary, a runbook link to an existing
anchor and a promtool test case, dashboards are well-formed with unique panel ids."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.kit import (
    ALERTS_FILE,
    ALERTS_TEST_FILE,
    GRAFANA_DIR,
    METRICS_DOC,
    PROMETHEUS_BUILTIN_SERIES,
    PROMETHEUS_DIR,
    RUNBOOK,
    load_yaml,
    markdown_anchors,
    markdown_table,
    metric_inventory,
    promql_metric_names,
    sample_names,
)

DASHBOARDS = sorted((GRAFANA_DIR / "dashboards").glob("*.json"))


def alert_rules() -> list[dict[str, Any]]:
    groups = load_yaml(ALERTS_FILE)["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def dashboard_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))
    return out


def dashboard_exprs() -> list[tuple[str, str]]:
    exprs: list[tuple[str, str]] = []
    for path in DASHBOARDS:
        for panel in dashboard_panels(json.loads(path.read_text())):
            for target in panel.get("targets", []):
                if "expr" in target:
                    exprs.append((f"{path.name}: {panel['title']}", target["expr"]))
    return exprs


def documented_metrics() -> dict[str, dict[str, str]]:
    rows = markdown_table(METRICS_DOC, "metric")
    return {row["metric"].strip("`"): row for row in rows}


def used_metrics() -> dict[str, str]:
    """Metric sample name -> where it is used (alerts and dashboards)."""
    used: dict[str, str] = {}
    for rule in alert_rules():
        for name in promql_metric_names(rule["expr"]):
            used.setdefault(name, f"alert {rule['alert']}")
    for where, expr in dashboard_exprs():
        for name in promql_metric_names(expr):
            used.setdefault(name, where)
    return used


# --- alerts ------------------------------------------------------------------------------------------------


def test_the_alerts_an_sre_needs_exist() -> None:
    exprs = {rule["alert"]: rule["expr"] for rule in alert_rules()}
    needs = {
        "a service down": "up{",
        "consumer lag growing": "livestudio_consumer_lag",
        "DLQ receiving": "livestudio_consumer_dlq_total",
        "expired credentials": 'state="credentials_expired"',
        "polls failing above a threshold": "livestudio_ingest_polls_total",
        "data freshness": "livestudio_ingest_oldest_successful_poll_age_seconds",
        "Postgres errors": "livestudio_consumer_apply_errors_total",
    }
    for need, needle in needs.items():
        assert any(needle in e for e in exprs.values()), f"no alert covers {need}"


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: r["alert"])
def test_alert_has_summary_severity_and_a_runbook_anchor_that_exists(rule: dict[str, Any]) -> None:
    annotations = rule["annotations"]
    assert annotations.get("summary") and annotations.get("description")
    assert rule["labels"]["severity"] in {"page", "ticket"}
    assert re.fullmatch(r"[A-Z][A-Za-z]+", rule["alert"]) and rule["alert"].startswith("LiveStudio")
    url = annotations["runbook_url"]
    path, _, anchor = url.partition("#")
    assert path == "deploy/RUNBOOK.md", url
    assert anchor in markdown_anchors(RUNBOOK), f"{url}: no such heading in RUNBOOK.md"
    assert anchor == rule["alert"].lower(), "the runbook section is named after the alert"


def test_alert_names_are_unique() -> None:
    names = [rule["alert"] for rule in alert_rules()]
    assert len(names) == len(set(names))


def test_every_alert_has_a_promtool_case_where_it_fires() -> None:
    tests = load_yaml(ALERTS_TEST_FILE)
    assert tests["rule_files"] == [ALERTS_FILE.name]
    firing = {
        case["alertname"]
        for test in tests["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    missing = {rule["alert"] for rule in alert_rules()} - firing
    assert not missing, f"alerts without a firing test case: {sorted(missing)}"


# --- dashboards --------------------------------------------------------------------------------------------


def test_there_are_pipeline_and_business_dashboards() -> None:
    titles = {json.loads(p.read_text())["uid"] for p in DASHBOARDS}
    assert {"livestudio-pipeline", "livestudio-business"} <= titles


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_is_well_formed(path: Path) -> None:
    dashboard = json.loads(path.read_text())
    for key in ("uid", "title", "panels", "schemaVersion"):
        assert key in dashboard
    panels = dashboard_panels(dashboard)
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), f"duplicate panel ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    datasources = load_yaml(GRAFANA_DIR / "provisioning/datasources/datasources.yml")["datasources"]
    uids = {ds["uid"]: ds["type"] for ds in datasources}
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24 and grid["h"] > 0
        if panel["type"] == "row":
            continue
        assert panel.get("targets"), f"panel {panel['title']} has no query"
        for target in [panel, *panel["targets"]]:
            ds = target.get("datasource")
            if ds:
                assert uids.get(ds["uid"]) == ds["type"], f"{panel['title']}: unknown datasource {ds}"
        for target in panel["targets"]:
            assert "expr" in target or "rawSql" in target
    refs = [p["title"] for p in panels]
    assert len(refs) == len(set(refs)), "panel titles are unique within a dashboard"


def test_dashboard_promql_only_uses_metrics_defined_in_the_code() -> None:
    known = sample_names()
    for where, expr in dashboard_exprs():
        for name in promql_metric_names(expr):
            assert name in known or name in PROMETHEUS_BUILTIN_SERIES, f"{where}: {name} is not defined in the code"


def test_dashboard_panels_cover_pipeline_health_and_business() -> None:
    pipeline = " ".join(e for w, e in dashboard_exprs() if w.startswith("pipeline-health"))
    for needle in ("livestudio_ingest_polls_total", "livestudio_consumer_lag", "oldest_successful_poll_age"):
        assert needle in pipeline
    business = json.loads((GRAFANA_DIR / "dashboards/business.json").read_text())
    sql = " ".join(t.get("rawSql", "") for p in dashboard_panels(business) for t in p.get("targets", []))
    assert "analytics.daily_account" in sql and "commission.attributions" in sql and "on_air" in sql


def test_business_board_shows_unknown_as_unknown() -> None:
    """A range without figures is unknown, never 0: no panel's SQL turns a NULL into a number, and the stat panels
    say "unknown" where a value is missing."""
    business = json.loads((GRAFANA_DIR / "dashboards/business.json").read_text())
    for panel in dashboard_panels(business):
        for target in panel.get("targets", []):
            sql = target.get("rawSql", "")
            assert not re.search(r"coalesce\([^()]*(\([^()]*\))?[^()]*,\s*0(\.0*)?\s*\)", sql, re.I), panel["title"]
        if panel["type"] == "stat":
            assert panel["fieldConfig"]["defaults"].get("noValue") == "unknown", panel["title"]


# --- metrics used, documented, defined ---------------------------------------------------------------------


def test_alert_exprs_only_use_metrics_defined_in_the_code() -> None:
    known = sample_names()
    for rule in alert_rules():
        for name in promql_metric_names(rule["expr"]):
            assert name in known or name in PROMETHEUS_BUILTIN_SERIES, f"{rule['alert']}: {name} is not defined"


def test_every_documented_metric_exists_with_its_type_and_labels() -> None:
    inventory = metric_inventory()
    documented = documented_metrics()
    assert len(documented) >= 20
    for name, row in documented.items():
        assert name in inventory, f"METRICS.md documents {name}, which no code defines"
        metric = inventory[name]
        assert row["type"] == metric.kind, f"{name}: documented as {row['type']}, defined as {metric.kind}"
        labels = tuple(x.strip().strip("`") for x in row["labels"].split(",") if x.strip())
        expected = metric.labels
        if metric.kind == "info":
            assert set(labels) >= set(expected)  # an Info's labels are its keys, set at runtime
        else:
            assert set(labels) == set(expected), f"{name}: documented labels {labels}, code has {expected}"
        assert row["meaning"], name


def test_every_metric_used_by_alerts_and_dashboards_is_documented() -> None:
    documented = documented_metrics()
    families = sample_names()
    for name, where in used_metrics().items():
        if name in PROMETHEUS_BUILTIN_SERIES:
            continue
        assert families[name].name in documented, f"{name} (used by {where}) is missing from METRICS.md"


def test_no_metric_uses_unbounded_labels() -> None:
    forbidden = {"account_id", "session_id", "host_id", "cookie", "url", "user_id", "item_id"}
    for metric in metric_inventory().values():
        assert not forbidden & set(metric.labels), f"{metric.name} ({metric.where}) has an unbounded label"


# --- runbook -----------------------------------------------------------------------------------------------


def test_runbook_has_the_procedures() -> None:
    anchors = markdown_anchors(RUNBOOK)
    for anchor in (
        "secrets",
        "rotating-the-credential-encryption-key",
        "replaying-topics-to-rebuild-read-models",
        "scaling",
        "scaling-the-ingest",
        "scaling-analytics-and-commission",
        "scaling-the-gateway",
    ):
        assert anchor in anchors, anchor
    text = RUNBOOK.read_text()
    assert "rotate-keys" in text and "livestudio-analytics rebuild" in text


def test_runbook_internal_links_resolve() -> None:
    anchors = markdown_anchors(RUNBOOK)
    for link in re.findall(r"\]\(#([^)]+)\)", RUNBOOK.read_text()):
        assert link in anchors, f"RUNBOOK.md links to #{link}, which is no heading"
    for target in re.findall(r"\]\(([^)#]+)\)", RUNBOOK.read_text()):
        assert (RUNBOOK.parent / target).exists(), target
    for path in PROMETHEUS_DIR.glob("*.yml"):
        for url in re.findall(r"RUNBOOK\.md#([\w-]+)", path.read_text()):
            assert url in anchors, f"{path.name} links to #{url}"
