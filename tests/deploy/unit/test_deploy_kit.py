"""The deploy tests' own helpers: PromQL metric extraction, Markdown anchors, strategic merge, Dockerfile parsing
and the metric inventory (a checker that passes everything would make the other tests worthless)."""

from __future__ import annotations

from pathlib import Path

from tests.deploy.kit import (
    interpolate,
    markdown_anchors,
    metric_inventory,
    parse_dockerfile,
    promql_metric_names,
    strategic_merge,
)


def test_promql_metric_names() -> None:
    expr = (
        'sum by (job, consumer) (rate(livestudio_consumer_lag{topic=~"a.+", x="by (y)"}[5m] offset 1m)) > 5 '
        "and on (job) histogram_quantile(0.99, sum by (le) (rate(foo_seconds_bucket[$__rate_interval]))) "
        "/ ignoring (le) group_left bar_total unless time() - baz > bool 3"
    )
    assert promql_metric_names(expr) == {"livestudio_consumer_lag", "foo_seconds_bucket", "bar_total", "baz"}
    assert promql_metric_names('up{job=~"livestudio-.+"} == 0') == {"up"}
    assert promql_metric_names("max(livestudio_ingest_on_air_sessions) > 1e3") == {"livestudio_ingest_on_air_sessions"}


def test_markdown_anchors(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text(
        "# Live Studio runbook\n## Alerts\n### LiveStudioServiceDown\n```\n# not a heading\n```\n"
        "## Rotating the `credential` key (Fernet)!\n## Alerts\n"
    )
    assert markdown_anchors(doc) == {
        "live-studio-runbook",
        "alerts",
        "livestudioservicedown",
        "rotating-the-credential-key-fernet",
        "alerts-1",
    }


def test_strategic_merge_by_name_keeps_unnamed_fields() -> None:
    base = {"spec": {"containers": [{"name": "a", "image": "x:1", "env": [{"name": "A", "value": "1"}]}], "n": 1}}
    patch = {"spec": {"containers": [{"name": "a", "env": [{"name": "B", "value": "2"}]}], "n": 2}}
    merged = strategic_merge(base, patch)
    assert merged["spec"]["n"] == 2
    (container,) = merged["spec"]["containers"]
    assert container["image"] == "x:1"
    assert container["env"] == [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]
    assert base["spec"]["n"] == 1, "inputs are not modified"


def test_compose_interpolation() -> None:
    env = {"SET": "v", "EMPTY": ""}
    assert interpolate("${SET:-d}/${EMPTY:-d}/${EMPTY-d}/${UNSET-d}", env) == "v/d//d"


def test_dockerfile_parser(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(
        "# syntax=docker/dockerfile:1.7\nARG BASE=python:3.11-slim\nFROM ${BASE} AS build\n"
        "RUN --mount=type=cache,target=/c \\\n    # a comment inside\n    uv sync --frozen\nFROM ${BASE}\n"
        'ENTRYPOINT ["x"]\n'
    )
    dockerfile = parse_dockerfile(path)
    assert dockerfile.args == {"BASE": "python:3.11-slim"}
    assert [s.name for s in dockerfile.stages] == ["build", None]
    (run,) = dockerfile.stages[0].all("RUN")
    assert run.args.endswith("uv sync --frozen")
    assert dockerfile.final.all("ENTRYPOINT")[0].json_args() == ["x"]


def test_metric_inventory_reads_the_shared_metrics() -> None:
    inventory = metric_inventory()
    lag = inventory["livestudio_consumer_lag"]
    assert lag.kind == "gauge" and lag.labels == ("consumer", "topic", "partition")
    assert inventory["livestudio_consumer_dlq_total"].kind == "counter"
    assert inventory["livestudio_build_info"].kind == "info"
    assert "livestudio_consumer_apply_seconds_bucket" in inventory["livestudio_consumer_apply_seconds"].samples()
