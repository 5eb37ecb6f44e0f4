"""deploy/ checked offline: the Kubernetes manifests against the API's
schemas (kubernetes-validate, strict), the pieces that must agree with each
other and with the service, and the HAProxy and Patroni files as the
programs that read them read them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from casework.app import create_app

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
KUBERNETES_VERSION = "1.30.0"


def manifests() -> dict[str, dict]:
    found = {}
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            found[document["kind"]] = document
    return found


def test_the_kubernetes_manifests_match_the_api_schemas():
    kinds = manifests()
    assert {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Secret",
            "Cluster"} <= set(kinds)
    for kind, document in kinds.items():
        if kind == "Cluster":  # a CloudNativePG resource: no schema ships with Kubernetes (checked below)
            continue
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_a_manifest_with_a_misspelt_field_is_refused():
    deployment = manifests()["Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {"path": "/ready"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_the_service_the_probes_and_the_database_fit_together():
    kinds = manifests()
    deployment, service, budget, scaler = (kinds[k] for k in (
        "Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"))
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert scaler["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert scaler["spec"]["minReplicas"] >= 2 and budget["spec"]["minAvailable"] < scaler["spec"]["minReplicas"]

    container = deployment["spec"]["template"]["spec"]["containers"][0]
    port = container["args"][container["args"].index("--port") + 1]
    assert [p["containerPort"] for p in container["ports"]] == [int(port)]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    routes = {route.path for route in create_app().routes}
    assert {"/health", "/ready"} <= routes

    secret = kinds["Secret"]
    assert container["envFrom"][0]["secretRef"]["name"] == secret["metadata"]["name"]
    database = urlsplit(secret["stringData"]["CASEWORK_DATABASE_URL"])
    cluster = kinds["Cluster"]
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    # CloudNativePG's read-write Service is <cluster>-rw; its database is bootstrap.initdb's.
    assert database.hostname == cluster["metadata"]["name"] + "-rw"
    assert database.path.lstrip("/") == cluster["spec"]["bootstrap"]["initdb"]["database"]
    assert database.username == cluster["spec"]["bootstrap"]["initdb"]["owner"]
    assert cluster["spec"]["instances"] >= 2 and cluster["spec"]["minSyncReplicas"] >= 1


def test_patroni_runs_both_nodes_in_strict_synchronous_mode():
    config = yaml.safe_load((DEPLOY / "patroni" / "patroni.yml").read_text())
    dcs = config["bootstrap"]["dcs"]
    assert dcs["synchronous_mode"] is True and dcs["synchronous_mode_strict"] is True
    assert dcs["ttl"] >= dcs["loop_wait"] + 2 * dcs["retry_timeout"]
    assert "etcd3" in config and "etcd" not in config  # etcd 3.4 serves v3 only
    # Passwords come from the environment (PATRONI_*_PASSWORD), never from the file.
    assert all("password" not in user for user in config["postgresql"]["authentication"].values())


def test_haproxy_accepts_its_configuration(tmp_path):
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    env = {**os.environ, "CASEWORK_LB_BIND": "127.0.0.1:1", "CASEWORK_APP1": "127.0.0.1:2",
           "CASEWORK_APP2": "127.0.0.1:3"}
    done = subprocess.run([haproxy, "-c", "-f", str(DEPLOY / "haproxy" / "haproxy.cfg")], check=False, env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    text = (DEPLOY / "haproxy" / "haproxy.cfg").read_text()
    assert "option httpchk GET /ready" in text
