"""The deployment files: the Kubernetes manifests validate against the Kubernetes schemas
(kubernetes-validate, strict: no unknown fields) and agree with each other and with the app;
the compose file and nginx route sessions the same way the ingress does."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
KUBE = ROOT / "deploy" / "kubernetes"
VERSIONS = ("1.30.0", "1.37.0")  # the oldest and the newest this validator knows here
MANIFESTS = sorted(p for p in KUBE.rglob("*.yaml") if p.name != "kustomization.yaml")


def documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(KUBE)))
@pytest.mark.parametrize("version", VERSIONS)
def test_manifests_validate_against_the_kubernetes_schemas(path, version):
    if os.environ.get("CI") == "true":  # CI installs the test extra: never skip there
        import kubernetes_validate
    else:
        kubernetes_validate = pytest.importorskip("kubernetes_validate")
    for doc in documents(path):
        kubernetes_validate.validate(doc, version, strict=True)


def test_every_manifest_is_in_a_kustomization_and_every_listed_file_exists():
    listed = set()
    for kustomization in KUBE.rglob("kustomization.yaml"):
        for resource in yaml.safe_load(kustomization.read_text())["resources"]:
            target = (kustomization.parent / resource).resolve()
            assert target.exists(), f"{kustomization}: {resource} is missing"
            listed.add(target)
    assert {p.resolve() for p in MANIFESTS} <= listed


def _deployment(variant: str) -> dict:
    (doc,) = documents(KUBE / variant / "deployment.yaml")
    return doc


def test_the_replicas_are_wired_to_the_app():
    from app.api.main import routers
    from tests.app.conftest import make_settings

    routes = {route.path for router in routers for route in router.routes}
    env_names = set(make_settings().model_dump())
    for variant in ("cpu", "gpu"):
        container = _deployment(variant)["spec"]["template"]["spec"]["containers"][0]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert container[probe]["httpGet"]["path"] in routes
        assert container["readinessProbe"]["httpGet"]["path"] == "/v1/health/ready"
        env = {e["name"]: e.get("value") for e in container["env"]}
        unknown = {n for n in env if n.startswith("AUTOGRAD_")
                   and n.removeprefix("AUTOGRAD_").lower() not in env_names}
        assert not unknown, f"settings the app does not have: {unknown}"
        assert env["AUTOGRAD_STATE_URL"].startswith("redis://redis:6379")
        assert env["AUTOGRAD_SESSION_ID_HEADER"] == "X-Autograd-Session-Id"
        assert container["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"


def test_gpu_replicas_ask_the_nvidia_device_plugin_for_a_gpu():
    cpu, gpu = _deployment("cpu"), _deployment("gpu")
    pod = gpu["spec"]["template"]["spec"]
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in \
        pod["tolerations"]
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    assert env["AUTOGRAD_DEVICE"] == "cuda"
    assert "nvidia.com/gpu" not in str(cpu)
    assert cpu["spec"]["selector"] == gpu["spec"]["selector"]  # the same Services find either


def _map_rule(text: str) -> tuple[str, str]:
    """The session-key map's path pattern and its default, from an nginx configuration."""
    block = re.search(r"map \$uri \$autograd_session_key \{(.*?)\}", text, re.S)
    assert block, "no $autograd_session_key map"
    pattern = re.search(r'"(~[^"]+)"\s+\$1;', block[1])
    default = re.search(r'default\s+"([^"]+)";', block[1])
    return pattern[1], default[1]


def test_compose_nginx_and_ingress_nginx_hash_sessions_the_same_way():
    ours = _map_rule((ROOT / "deploy/nginx/nginx.conf").read_text())
    config = next(d for d in documents(KUBE / "base/ingress-nginx-config.yaml")
                  if d["metadata"]["name"] == "ingress-nginx-controller")
    assert _map_rule(config["data"]["http-snippet"]) == ours
    headers = next(d for d in documents(KUBE / "base/ingress-nginx-config.yaml")
                   if d["metadata"]["name"] == "autograd-proxy-headers")
    assert headers["data"]["X-Autograd-Session-Id"] == ours[1]  # the proposal is what is hashed
    ingress = next(d for d in documents(KUBE / "base/ingress.yaml")
                   if d["metadata"]["name"] == "autograd-sessions")
    assert ingress["metadata"]["annotations"][
        "nginx.ingress.kubernetes.io/upstream-hash-by"] == "$autograd_session_key"
    from app.services.sessions import PROPOSED_ID

    assert PROPOSED_ID.match(ours[1].replace("$request_id", "0123456789abcdef" * 2))


def test_the_scale_compose_runs_replicas_on_redis_behind_nginx():
    compose = yaml.safe_load((ROOT / "docker-compose.scale.yml").read_text())
    services = compose["services"]
    assert {"redis", "api", "nginx"} <= set(services)
    assert services["api"]["deploy"]["replicas"] == "${AUTOGRAD_REPLICAS:-3}"
    env = services["api"]["environment"]
    assert env["AUTOGRAD_STATE_URL"].endswith("redis://redis:6379/0}")
    assert env["AUTOGRAD_SESSION_ID_HEADER"] == "X-Autograd-Session-Id"
    assert "./deploy/nginx:/etc/autograd-nginx:ro" in services["nginx"]["volumes"]
    assert services["nginx"]["image"].startswith("${AUTOGRAD_NGINX_IMAGE:-nginx:")
    assert services["redis"]["image"].startswith("${AUTOGRAD_REDIS_IMAGE:-redis:")
