"""docker-compose.yml: structure (a JSON Schema of the subset we use) and cross-references: depends_on, env vars
against the services' settings, ports, volumes, build files, interpolated secrets, the Prometheus targets, the
topic-creation script and the Grafana mounts."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from livestudio_schemas.topics import Topic
from tests.deploy.kit import (
    APP_SERVICES,
    DEPLOY,
    PROMETHEUS_DIR,
    REPO,
    SERVICES,
    ServiceSpec,
    compose,
    interpolate,
    interpolations,
    load_yaml,
    parse_dockerfile,
    settings_env_vars,
)

STRING_OR_NUMBER = {"type": ["string", "number", "boolean", "null"]}  # null: pass through from .env if set
SERVICE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "patternProperties": {"^x-": {}},
    "properties": {
        "image": {"type": "string", "minLength": 1},
        "build": {
            "type": "object",
            "additionalProperties": False,
            "required": ["context", "dockerfile"],
            "properties": {"context": {"type": "string"}, "dockerfile": {"type": "string"}},
        },
        "command": {"type": "array", "items": {"type": "string"}},
        "entrypoint": {"type": "array", "items": {"type": "string"}},
        "environment": {"type": "object", "additionalProperties": STRING_OR_NUMBER},
        "ports": {"type": "array", "items": {"type": "string", "pattern": r"^\d+:\d+(/(tcp|udp))?$"}},
        "volumes": {"type": "array", "items": {"type": "string", "pattern": r"^[^:]+:/[^:]*(:ro|:rw)?$"}},
        "depends_on": {
            "oneOf": [
                {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["condition"],
                        "additionalProperties": False,
                        "properties": {
                            "condition": {
                                "enum": ["service_started", "service_healthy", "service_completed_successfully"]
                            }
                        },
                    },
                },
            ]
        },
        "restart": {"enum": ["no", "always", "on-failure", "unless-stopped"]},
        "stop_grace_period": {"type": "string", "pattern": r"^\d+(ms|s|m)$"},
        "init": {"type": "boolean"},
        "hostname": {"type": "string"},
        "logging": {"type": "object"},
        "healthcheck": {
            "type": "object",
            "additionalProperties": False,
            "required": ["test"],
            "properties": {
                "test": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                "interval": {"type": "string"},
                "timeout": {"type": "string"},
                "start_period": {"type": "string"},
                "retries": {"type": "integer", "minimum": 1},
            },
        },
    },
    "anyOf": [{"required": ["image"]}, {"required": ["build"]}],
}
COMPOSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["services"],
    "patternProperties": {"^x-": {}},
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"},
        "services": {"type": "object", "minProperties": 1, "additionalProperties": SERVICE_SCHEMA},
        "volumes": {"type": "object", "additionalProperties": {"type": ["object", "null"]}},
    },
}
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - what a container must listen on
INFRA = {"kafka", "kafka-init", "postgres", "prometheus", "grafana"}


def resolve_env(environment: dict[str, Any], dotenv: dict[str, str]) -> dict[str, str]:
    """The container's environment as compose makes it: interpolated values; a key without a value is passed
    through from .env when set there and absent otherwise."""
    out: dict[str, str] = {}
    for key, value in environment.items():
        if value is None:
            if key in dotenv:
                out[key] = dotenv[key]
        else:
            out[key] = interpolate(str(value), dotenv)
    return out


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    return compose()


@pytest.fixture(scope="module")
def services(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    value: dict[str, dict[str, Any]] = stack["services"]
    return value


@pytest.fixture(scope="module")
def generated_env() -> dict[str, str]:
    """What deploy/gen-compose-env.sh prints (the documented way to make .env)."""
    out = subprocess.run(["sh", str(DEPLOY / "gen-compose-env.sh")], capture_output=True, text=True, check=True)
    env = dict(line.split("=", 1) for line in out.stdout.splitlines() if line.strip())
    return env


def test_matches_the_schema(stack: dict[str, Any]) -> None:
    jsonschema.validate(stack, COMPOSE_SCHEMA)


def test_runs_every_service_and_the_infrastructure(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == INFRA | set(SERVICES)
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["postgres"]["image"] == "postgres:16"
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper


def test_depends_on_refers_to_services_and_sensible_conditions(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        deps = service.get("depends_on", {})
        conditions = {d: {"condition": "service_started"} for d in deps} if isinstance(deps, list) else deps
        for target, cond in conditions.items():
            assert target in services, f"{name} depends on unknown service {target}"
            assert target != name
            if cond["condition"] == "service_healthy":
                has_check = "healthcheck" in services[target] or "build" in services[target]
                assert has_check, f"{name} waits for {target} to be healthy, but {target} has no healthcheck"
            if cond["condition"] == "service_completed_successfully":
                assert services[target].get("restart") == "no", f"{target} is a one-shot job: restart 'no'"


def test_no_dependency_cycle(services: dict[str, dict[str, Any]]) -> None:
    def deps(name: str) -> list[str]:
        return list(services[name].get("depends_on", []))

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"dependency cycle: {' -> '.join((*path, name))}"
        for dep in deps(name):
            visit(dep, (*path, name))

    for name in services:
        visit(name, ())


def test_builds_use_the_dockerfiles_and_images_are_named(services: dict[str, dict[str, Any]]) -> None:
    for spec in SERVICES.values():
        service = services[spec.name]
        assert service["build"]["context"] == "."
        assert REPO / service["build"]["dockerfile"] == spec.dockerfile
        assert service["image"].startswith(f"livestudio/{spec.name}:")


def test_volumes_are_declared_or_exist(stack: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    declared = set(stack.get("volumes", {}))
    used: set[str] = set()
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (REPO / source).exists(), f"{name}: bind-mount source {source} does not exist"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
                used.add(source)
    assert used == declared, f"declared but unused volumes: {sorted(declared - used)}"
    assert "postgres-data" in used and "kafka-data" in used


def test_ports_match_the_images_and_settings(services: dict[str, dict[str, Any]]) -> None:
    host_ports: list[str] = []
    for service in services.values():
        host_ports += [p.split(":")[0] for p in service.get("ports", [])]
    assert len(host_ports) == len(set(host_ports)), "a host port is published twice"
    for spec in SERVICES.values():
        service = services[spec.name]
        assert service["ports"] == [f"{spec.port}:{spec.port}"]
        expose = parse_dockerfile(spec.dockerfile).final.all("EXPOSE")
        assert [e.args for e in expose] == [str(spec.port)]
        if spec.env_prefix:
            assert str(service["environment"][f"{spec.env_prefix}HTTP_PORT"]) == str(spec.port)
            assert service["environment"][f"{spec.env_prefix}HTTP_HOST"] == ALL_INTERFACES


@pytest.mark.parametrize("spec", APP_SERVICES, ids=lambda s: s.name)
def test_env_vars_are_settings_fields(spec: ServiceSpec, services: dict[str, dict[str, Any]]) -> None:
    fields = settings_env_vars(spec)
    env = services[spec.name]["environment"]
    for var in env:
        assert var.startswith(spec.env_prefix or ""), f"{spec.name}: {var} lacks the {spec.env_prefix} prefix"
        assert var in fields, f"{spec.name}: {var} is not a field of its settings"
    required = [v for v, info in fields.items() if info.is_required()]
    missing = [v for v in required if v not in env]
    assert not missing, f"{spec.name}: required settings not set in compose: {missing}"
    for var in ("KAFKA_BOOTSTRAP", "DATABASE_URL"):
        assert f"{spec.env_prefix}{var}" in env


def test_env_values_reach_existing_services(services: dict[str, dict[str, Any]], generated_env: dict[str, str]) -> None:
    for spec in APP_SERVICES:
        env = resolve_env(services[spec.name]["environment"], generated_env)
        host, _, port = env[f"{spec.env_prefix}KAFKA_BOOTSTRAP"].partition(":")
        assert host == "kafka" and port == "9092"
        assert "PLAINTEXT://kafka:9092" in services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
        dsn = env[f"{spec.env_prefix}DATABASE_URL"]
        match = re.fullmatch(r"postgresql://(\w+):([^@]+)@postgres:5432/(\w+)", dsn)
        assert match, dsn
        pg = services["postgres"]["environment"]
        assert match.group(1) == pg["POSTGRES_USER"] and match.group(3) == pg["POSTGRES_DB"]
        assert match.group(2) == generated_env["POSTGRES_PASSWORD"]


def test_ingest_defaults_to_the_simulator_and_switches_to_real_shopee(
    services: dict[str, dict[str, Any]], generated_env: dict[str, str]
) -> None:
    env = services["ingest"]["environment"]
    default = resolve_env(env, generated_env)
    assert default["INGEST_SHOPEE_MODE"] == "simulator"
    assert default["INGEST_SHOPEE_BASE_URL"] == f"http://simulator:{SERVICES['simulator'].port}"
    assert "simulator" in services["ingest"]["depends_on"]
    # Real Shopee, as the compose header says: mode=real and no base-URL line in .env.
    real_dotenv = {k: v for k, v in generated_env.items() if k != "INGEST_SHOPEE_BASE_URL"}
    real = resolve_env(env, {**real_dotenv, "INGEST_SHOPEE_MODE": "real"})
    from livestudio_ingest.settings import IngestSettings

    for container_env, mode, base_url in (
        (default, "simulator", default["INGEST_SHOPEE_BASE_URL"]),
        (real, "real", None),
    ):
        settings = IngestSettings.model_validate(
            {
                "shopee_mode": container_env["INGEST_SHOPEE_MODE"],
                "shopee_base_url": container_env.get("INGEST_SHOPEE_BASE_URL"),
            }
        )
        assert settings.shopee_mode == mode and settings.shopee_base_url == base_url
    simulator_cmd = services["simulator"]["command"]
    assert simulator_cmd[simulator_cmd.index("--port") + 1] == str(SERVICES["simulator"].port)
    from shopee_client.simulator.cli import build_parser

    build_parser().parse_args(simulator_cmd)  # every flag exists


def test_interpolated_variables_have_defaults_or_come_from_gen_env(
    stack: dict[str, Any], generated_env: dict[str, str]
) -> None:
    for match in interpolations(stack):
        name, op = match.group("name"), match.group("op") or ""
        if op in (":-", "-"):
            continue
        assert name in generated_env, f"${{{name}}} has no default and deploy/gen-compose-env.sh does not set it"
    secrets_with_defaults = [
        m.group("name")
        for m in interpolations(stack)
        if m.group("op") in (":-", "-") and re.search("PASSWORD|SECRET|KEYS", m.group("name"))
    ]
    assert not secrets_with_defaults, f"secrets must not have defaults: {secrets_with_defaults}"


def test_gen_env_makes_valid_fernet_keys(generated_env: dict[str, str]) -> None:
    from livestudio_runtime.secrets import CookieCipher

    cipher = CookieCipher.from_env_value(generated_env["LIVESTUDIO_CREDENTIALS_KEYS"])
    assert cipher.decrypt(cipher.encrypt("SPC_EC=x")) == "SPC_EC=x"
    secrets = [v for k, v in generated_env.items() if re.search("PASSWORD|SECRET|KEYS", k)]
    assert len(secrets) == 5 and len(set(secrets)) == len(secrets), "every secret is there and distinct"


def test_prometheus_scrapes_every_service_at_its_port(services: dict[str, dict[str, Any]]) -> None:
    config = load_yaml(PROMETHEUS_DIR / "prometheus.yml")
    targets: dict[str, str] = {}
    for job in config["scrape_configs"]:
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                targets[target] = job["job_name"]
    for spec in APP_SERVICES:
        assert targets.get(f"{spec.name}:{spec.port}") == f"livestudio-{spec.name}"
    for target in targets:
        host = target.split(":")[0]
        assert host == "localhost" or host in services, f"scrape target {target} is not a compose service"
    mounts = services["prometheus"]["volumes"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in mounts
    flags = services["prometheus"]["command"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in flags
    for rule_file in config["rule_files"]:
        assert (PROMETHEUS_DIR / rule_file).is_file()


def test_grafana_provisioning_is_mounted_and_points_at_compose_services(services: dict[str, dict[str, Any]]) -> None:
    grafana = services["grafana"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in grafana["volumes"]}
    assert mounts["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"
    provider = load_yaml(DEPLOY / "grafana/provisioning/dashboards/dashboards.yml")["providers"][0]
    assert mounts[provider["options"]["path"]] == "./deploy/grafana/dashboards"
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home.startswith(provider["options"]["path"] + "/")
    assert (DEPLOY / "grafana/dashboards" / Path(home).name).is_file()
    datasources = load_yaml(DEPLOY / "grafana/provisioning/datasources/datasources.yml")["datasources"]
    for ds in datasources:
        host = re.sub(r"^https?://", "", ds["url"]).split(":")[0]
        assert host in services and host in grafana["depends_on"], f"datasource {ds['name']} -> {host}"
    pg = next(ds for ds in datasources if "postgres" in ds["type"])
    assert pg["jsonData"]["database"] == services["postgres"]["environment"]["POSTGRES_DB"]
    # the read-only role the datasource logs in as is created by the mounted init script
    init = (DEPLOY / "postgres/init-readonly-role.sh").read_text()
    assert f"CREATE ROLE {pg['user']} LOGIN" in init
    assert "${GRAFANA_DB_PASSWORD}" in pg["secureJsonData"]["password"]
    assert (
        "GRAFANA_DB_PASSWORD" in grafana["environment"] and "GRAFANA_DB_PASSWORD" in services["postgres"]["environment"]
    )


def _run_topics_script(tmp_path: Path, env: dict[str, str]) -> list[list[str]]:
    log = tmp_path / "calls"
    stub = tmp_path / "kafka-topics.sh"
    stub.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {log}\n')
    stub.chmod(0o755)
    subprocess.run(
        ["sh", str(DEPLOY / "kafka/create-topics.sh")],
        env={**os.environ, **env, "KAFKA_TOPICS_BIN": str(stub)},
        check=True,
        capture_output=True,
    )
    return [line.split() for line in log.read_text().splitlines()]


def test_kafka_init_creates_every_contract_topic_and_dlq(tmp_path: Path, services: dict[str, dict[str, Any]]) -> None:
    init = services["kafka-init"]
    assert init["entrypoint"][-1] == "/deploy/kafka/create-topics.sh"
    assert "./deploy/kafka:/deploy/kafka:ro" in init["volumes"]
    env = {k: str(v) for k, v in init["environment"].items()}
    calls = _run_topics_script(tmp_path, env)
    created: dict[str, int] = {}
    for args in calls:
        assert args[args.index("--bootstrap-server") + 1] == env["KAFKA_BOOTSTRAP"]
        assert "--if-not-exists" in args, "re-running the init container must be harmless"
        assert args[args.index("--replication-factor") + 1] == env["TOPIC_REPLICATION"]
        created[args[args.index("--topic") + 1]] = int(args[args.index("--partitions") + 1])
    expected = {t.value for t in Topic} | {t.dlq for t in Topic}
    assert expected <= set(created), f"not created: {sorted(expected - set(created))}"
    for topic in expected:
        assert created[topic] == int(env["TOPIC_PARTITIONS"])
        assert created[topic] >= 6, "enough partitions to scale the consumers out"
    from livestudio_ingest.settings import IngestSettings

    ingest_env = services["ingest"]["environment"]
    accounts_topic = IngestSettings.model_fields["accounts_topic"].default
    assert created[accounts_topic] == int(ingest_env["INGEST_ACCOUNTS_PARTITIONS"])
    assert int(env["INGEST_ACCOUNT_PARTITIONS"]) == int(ingest_env["INGEST_ACCOUNTS_PARTITIONS"])
    for spec in APP_SERVICES:
        value = services[spec.name]["environment"].get(f"{spec.env_prefix}TOPIC_PARTITIONS")
        assert value is None or int(value) == int(env["TOPIC_PARTITIONS"]), spec.name
