"""deploy/: the compose file and the Kubernetes manifests parse, and hold together (every name
they refer to exists, probes point at real endpoints, roles exist in the entry point)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.urls import resolve

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S = DEPLOY / "k8s" / "base"
ROLES = set(re.findall(r"^  ([a-z-]+)\)", (DEPLOY / "docker-entrypoint.sh").read_text(), re.M))


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def manifests() -> list[dict]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


def test_compose_runs_every_part_with_a_seaweedfs_cluster():
    services = compose()["services"]
    assert {
        "postgres", "redis", "seaweedfs-master", "seaweedfs-volume", "seaweedfs-filer", "seaweedfs",
        "seaweedfs-bucket", "migrate", "web", "worker", "eval-worker", "beat",
    } <= set(services)  # fmt: skip
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, f"{name} depends on unknown service {needed}"
    assert services["seaweedfs-master"]["command"][1] == "master"
    assert services["seaweedfs-volume"]["command"][1] == "volume"
    assert services["seaweedfs-filer"]["command"][1] == "filer"
    assert services["seaweedfs"]["command"][1] == "s3"
    for role in ("web", "worker", "eval-worker", "beat", "migrate"):
        assert services[role]["command"][0] in ROLES
        assert services[role]["secrets"] == ["registry-signing-key"]
        assert (
            services[role]["environment"]["REGISTRY_SIGNING_KEY_PATH"] == "/run/secrets/registry-signing-key"
        )
    assert "registry-signing-key" in compose()["secrets"]


def test_the_eval_worker_consumes_the_queue_evaluation_tasks_are_routed_to(settings):
    entrypoint = (DEPLOY / "docker-entrypoint.sh").read_text()
    eval_role = entrypoint.split("eval-worker)", 1)[1].split(";;", 1)[0]
    [queue] = {
        route["queue"] for pattern, route in settings.CELERY_TASK_ROUTES.items() if "evaluators" in pattern
    }
    assert f"--queues={queue}" in eval_role


@pytest.mark.skipif(not shutil.which("docker"), reason="docker is not installed")
def test_docker_compose_accepts_the_file(tmp_path):
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("docker has no compose plugin")
    env_file = tmp_path / ".env"
    env_file.write_text((DEPLOY / ".env.example").read_text())
    answer = subprocess.run(
        [
            "docker",
            "compose",
            "-f",
            str(DEPLOY / "compose.yaml"),
            "--env-file",
            str(env_file),
            "config",
            "-q",
        ],
        capture_output=True,
        text=True,
    )
    assert answer.returncode == 0, answer.stderr


def test_kustomization_lists_files_that_exist():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (K8S / resource).is_file(), resource
    assert "secret.example.yaml" not in kustomization["resources"]  # never apply placeholder secrets


def test_kubernetes_workloads_have_probes_scaling_and_known_roles():
    docs = manifests()
    by_kind: dict[str, dict[str, dict]] = {}
    for doc in docs:
        assert {"apiVersion", "kind", "metadata"} <= set(doc), doc
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    deployments = by_kind["Deployment"]
    assert set(deployments) == {
        "slm-registry-web", "slm-registry-worker", "slm-registry-eval-worker", "slm-registry-beat",
    }  # fmt: skip
    for deployment in deployments.values():
        spec = deployment["spec"]
        assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
        for container in spec["template"]["spec"]["containers"]:
            assert container["args"][0] in ROLES
            assert "livenessProbe" in container
            mounts = {m["name"] for m in container.get("volumeMounts", [])}
            volumes = {v["name"] for v in spec["template"]["spec"].get("volumes", [])}
            assert mounts <= volumes
    web = deployments["slm-registry-web"]["spec"]["template"]["spec"]["containers"][0]
    for probe, view in (("livenessProbe", "health"), ("readinessProbe", "ready")):
        assert resolve(web[probe]["httpGet"]["path"]).url_name == view
    assert by_kind["Job"]["slm-registry-migrate"]["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "migrate"
    ]
    assert deployments["slm-registry-beat"]["spec"]["replicas"] == 1
    for hpa in by_kind["HorizontalPodAutoscaler"].values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
    assert {h["spec"]["scaleTargetRef"]["name"] for h in by_kind["HorizontalPodAutoscaler"].values()} >= {
        "slm-registry-web", "slm-registry-worker",
    }  # fmt: skip
    service = by_kind["Service"]["slm-registry-web"]
    assert service["spec"]["selector"].items() <= web_labels(deployments).items()


def web_labels(deployments: dict) -> dict:
    return deployments["slm-registry-web"]["spec"]["template"]["metadata"]["labels"]


def test_every_configured_setting_is_one_the_app_reads():
    read = (Path(__file__).resolve().parents[2] / "config" / "settings" / "base.py").read_text()
    read += (Path(__file__).resolve().parents[2] / "config" / "settings" / "production.py").read_text()
    config = next(d for d in manifests() if d["kind"] == "ConfigMap")
    known_elsewhere = {"DJANGO_SETTINGS_MODULE", "FORWARDED_ALLOW_IPS"}  # Django and gunicorn
    for name in config["data"]:
        assert name in known_elsewhere or f'"{name}"' in read, f"{name} is not read by the settings"
