"""Kubernetes manifests: every base manifest and the rendered example overlay validate against the Kubernetes
schemas (kubernetes-validate, strict), and they hang together: probes, ports, config keys against the settings,
PDBs and HPAs for every Deployment, HPAs bounded by partitions, secrets documented, the topics Job's script."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.kit import (
    APP_SERVICES,
    DEPLOY,
    K8S_BASE,
    K8S_OVERLAY,
    RUNBOOK,
    ServiceSpec,
    by_kind,
    load_yaml,
    load_yaml_all,
    render_kustomization,
    settings_env_vars,
)

K8S_VERSION = "1.31.0"  # oldest Kubernetes release the manifests must work on


def _validate(doc: dict[str, Any]) -> None:
    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        raise AssertionError(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message} at {list(exc.path)}") from None


@pytest.fixture(scope="module")
def base() -> list[dict[str, Any]]:
    return render_kustomization(K8S_BASE)


@pytest.fixture(scope="module")
def overlay() -> list[dict[str, Any]]:
    return render_kustomization(K8S_OVERLAY)


def test_every_base_manifest_file_is_valid() -> None:
    listed = load_yaml(K8S_BASE / "kustomization.yaml")["resources"]
    files = sorted(p.name for p in K8S_BASE.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed) == files, "every manifest file in base is listed in its kustomization"
    for name in files:
        for doc in load_yaml_all(K8S_BASE / name):
            _validate(doc)


def test_overlay_patches_are_partial_objects_of_known_kinds() -> None:
    kustomization = load_yaml(K8S_OVERLAY / "kustomization.yaml")
    for entry in kustomization["patches"]:
        for patch in load_yaml_all(K8S_OVERLAY / entry["path"]):
            assert {"apiVersion", "kind", "metadata"} <= set(patch)


def test_rendered_overlay_is_valid(overlay: list[dict[str, Any]]) -> None:
    names = [(d["kind"], d["metadata"]["name"]) for d in overlay]
    assert len(names) == len(set(names)), "duplicate resources"
    for doc in overlay:
        _validate(doc)
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "livestudio"


def test_overlay_changes_images_endpoints_and_sizes(base: list[dict[str, Any]], overlay: list[dict[str, Any]]) -> None:
    for spec in APP_SERVICES:
        deployment = by_kind(overlay, "Deployment")[f"livestudio-{spec.name}"]
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image == f"registry.example.com/livestudio/{spec.name}:0.1.0"
        config = by_kind(overlay, "ConfigMap")[f"livestudio-{spec.name}"]["data"]
        assert "example.internal" in config[f"{spec.env_prefix}KAFKA_BOOTSTRAP"]
    base_analytics = by_kind(base, "Deployment")["livestudio-analytics"]["spec"]["template"]["spec"]["containers"][0]
    analytics = by_kind(overlay, "Deployment")["livestudio-analytics"]["spec"]["template"]["spec"]["containers"][0]
    assert analytics["resources"]["requests"]["cpu"] == "1"
    assert analytics["readinessProbe"] == base_analytics["readinessProbe"], "the patch keeps what it does not name"
    job = by_kind(overlay, "Job")["livestudio-kafka-topics"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in job["env"]}
    assert "example.internal" in env["KAFKA_BOOTSTRAP"] and env["TOPIC_PARTITIONS"] == "12"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (kustomize) is not installed")
@pytest.mark.parametrize("directory", [K8S_BASE, K8S_OVERLAY], ids=["base", "overlay"])
def test_python_rendering_matches_kubectl_kustomize(directory: Any) -> None:
    out = subprocess.run(["kubectl", "kustomize", str(directory)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    theirs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(out.stdout) if d}
    ours = {(d["kind"], d["metadata"]["name"]): d for d in render_kustomization(directory)}
    assert theirs.keys() == ours.keys()
    for key, doc in ours.items():
        assert doc == theirs[key], f"{key} renders differently"


@pytest.mark.parametrize("spec", APP_SERVICES, ids=lambda s: s.name)
def test_deployment_shape(spec: ServiceSpec, overlay: list[dict[str, Any]]) -> None:
    name = f"livestudio-{spec.name}"
    deployment = by_kind(overlay, "Deployment")[name]
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert labels["app.kubernetes.io/component"] == spec.name, "the k8s scrape config derives job from it"
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == str(spec.port)
    security = pod["spec"]["securityContext"]
    assert security["runAsNonRoot"] is True and security["runAsUser"] == 10001
    (container,) = pod["spec"]["containers"]
    assert container["ports"] == [{"name": "http", "containerPort": spec.port, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == "/health/live", "migrations run before liveness counts"
    requests = container["resources"]["requests"]
    assert requests.get("cpu") and requests.get("memory")
    assert container["resources"]["limits"].get("memory")
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/tmp" in mounts
    grace = pod["spec"]["terminationGracePeriodSeconds"]
    config = by_kind(overlay, "ConfigMap")[name]["data"]
    assert grace > float(config[f"{spec.env_prefix}SHUTDOWN_TIMEOUT_S"]) + 5, "room for the graceful shutdown"
    service = by_kind(overlay, "Service")[name]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"


@pytest.mark.parametrize("spec", APP_SERVICES, ids=lambda s: s.name)
def test_config_comes_from_configmap_and_external_secret(spec: ServiceSpec, overlay: list[dict[str, Any]]) -> None:
    name = f"livestudio-{spec.name}"
    (container,) = by_kind(overlay, "Deployment")[name]["spec"]["template"]["spec"]["containers"]
    refs = container["envFrom"]
    assert {"configMapRef": {"name": name}} in refs and {"secretRef": {"name": name}} in refs
    assert name in by_kind(overlay, "ConfigMap")
    assert name not in by_kind(overlay, "Secret"), "secrets are created out of band, never committed"
    fields = settings_env_vars(spec)
    data = by_kind(overlay, "ConfigMap")[name]["data"]
    for key in data:
        assert key in fields, f"{name}: ConfigMap key {key} is not a setting of {spec.name}"
        assert not any(word in key for word in ("SECRET", "KEYS", "PASSWORD", "DATABASE_URL")), key
    assert data[f"{spec.env_prefix}HTTP_PORT"] == str(spec.port)
    assert data[f"{spec.env_prefix}HTTP_HOST"] == "0.0.0.0"  # noqa: S104 - a pod listens on all interfaces
    runbook = RUNBOOK.read_text()
    secret_section = runbook[runbook.index("## Secrets") :]
    secret_keys = [v for v in ("DATABASE_URL", "CREDENTIALS_KEYS", "JWT_SECRET") if f"{spec.env_prefix}{v}" in fields]
    for key in secret_keys:
        assert f"{spec.env_prefix}{key}" in secret_section, f"RUNBOOK does not say where {spec.env_prefix}{key} goes"
    assert f"create secret generic {name}" in secret_section
    required = [v for v, info in fields.items() if info.is_required()]
    for var in required:
        assert var in data or var in secret_section, f"required setting {var} is provided nowhere"


def _partitions(docs: list[dict[str, Any]]) -> dict[str, int]:
    job = by_kind(docs, "Job")["livestudio-kafka-topics"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in job["env"]}
    return {"topics": int(env["TOPIC_PARTITIONS"]), "accounts": int(env["INGEST_ACCOUNT_PARTITIONS"])}


@pytest.mark.parametrize("docs_name", ["base", "overlay"])
def test_every_deployment_has_pdb_and_hpa_bounded_by_partitions(
    docs_name: str, base: list[dict[str, Any]], overlay: list[dict[str, Any]]
) -> None:
    docs = base if docs_name == "base" else overlay
    partitions = _partitions(docs)
    pdbs = list(by_kind(docs, "PodDisruptionBudget").values())
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in by_kind(docs, "HorizontalPodAutoscaler").values()}
    for name, deployment in by_kind(docs, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        covering = [p for p in pdbs if p["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert len(covering) == 1, f"{name} needs exactly one PodDisruptionBudget"
        hpa = hpas[name]
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        low, high = hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]
        assert 1 <= low <= high
        assert low >= 2, f"{name}: at least two replicas so a PDB allows voluntary disruptions"
        component = labels["app.kubernetes.io/component"]
        config = by_kind(docs, "ConfigMap")[name]["data"]
        if component in ("analytics", "commission"):
            assert high <= partitions["topics"], f"{name}: more replicas than partitions would sit idle"
            assert int(config[f"{component.upper()}_TOPIC_PARTITIONS"]) == partitions["topics"]
        elif component == "ingest":
            assert high <= partitions["accounts"]
            assert int(config["INGEST_ACCOUNTS_PARTITIONS"]) == partitions["accounts"]


def test_topics_job_runs_the_same_script_as_compose(base: list[dict[str, Any]]) -> None:
    script = by_kind(base, "ConfigMap")["livestudio-kafka-topics"]["data"]["create-topics.sh"]
    assert script == (DEPLOY / "kafka/create-topics.sh").read_text()
    pod = by_kind(base, "Job")["livestudio-kafka-topics"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["/bin/sh", "/scripts/create-topics.sh"]
    volume = next(v for v in pod["volumes"] if v["name"] == container["volumeMounts"][0]["name"])
    assert volume["configMap"]["name"] == "livestudio-kafka-topics"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert int(env["TOPIC_REPLICATION"]) >= 3, "a real cluster replicates the topics"
    # docs/OPERATIONS.md applies `-l app.kubernetes.io/component=kafka-topics` first: that must be self-contained.
    selected = [d for d in base if d["metadata"]["labels"].get("app.kubernetes.io/component") == "kafka-topics"]
    assert {(d["kind"], d["metadata"]["name"]) for d in selected} == {
        ("ConfigMap", "livestudio-kafka-topics"),
        ("Job", "livestudio-kafka-topics"),
    }
    assert "serviceAccountName" not in pod


@pytest.mark.parametrize("docs_name", ["base", "overlay"])
def test_services_create_topics_with_the_jobs_replication(
    docs_name: str, base: list[dict[str, Any]], overlay: list[dict[str, Any]]
) -> None:
    """A service that starts before the topics Job creates the topics itself: with the same replication."""
    docs = base if docs_name == "base" else overlay
    job = by_kind(docs, "Job")["livestudio-kafka-topics"]["spec"]["template"]["spec"]["containers"][0]
    replication = {e["name"]: e["value"] for e in job["env"]}["TOPIC_REPLICATION"]
    for spec in APP_SERVICES:
        config = by_kind(docs, "ConfigMap")[f"livestudio-{spec.name}"]["data"]
        assert config.get(f"{spec.env_prefix}TOPIC_REPLICATION") == replication, spec.name


def test_service_account_without_api_access(base: list[dict[str, Any]]) -> None:
    account = by_kind(base, "ServiceAccount")["livestudio"]
    assert account["automountServiceAccountToken"] is False
    for deployment in by_kind(base, "Deployment").values():
        assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "livestudio"
