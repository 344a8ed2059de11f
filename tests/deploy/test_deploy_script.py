"""k8s/deploy.sh's apply path, against a fake kubectl (no cluster here).

The fake answers the script's cluster queries from environment variables,
records every call, and turns `kubectl apply -k DIR` into a real offline
`kubectl kustomize DIR` whose output the test reads as what was applied.
`kubectl run` of the configuration check pod answers FAKE_CHECK_EXIT, or,
with FAKE_RUN_CHECK, runs the pod's own command through docker/entrypoint.sh
here, with the environment the pod would get: the ConfigMap applied before
it (by name) and the Secret's values (FAKE_SECRET_ENV).
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import REPO, TEST_IMAGE, TEST_TAG, find

HOST = "api.shop-under-test.invalid"

FAKE_KUBECTL = r"""#!/usr/bin/env bash
set -euo pipefail
printf '%s\n' "$*" >> "$FAKE_LOG"
if [ "$1" = kustomize ]; then exec "$REAL_KUBECTL" "$@"; fi
if [ "$*" = "apply -k $3 -l app.kubernetes.io/component=config" ]; then
  "$REAL_KUBECTL" kustomize "$3" > "$FAKE_CONFIG_APPLIED"; exit 0
fi
if [ "$1 $2" = "apply -k" ]; then "$REAL_KUBECTL" kustomize "$3" > "$FAKE_APPLIED"; exit 0; fi
[ "$1" = -n ] && [ "$2" = ecommerce ] || { echo "unexpected namespace: $*" >&2; exit 97; }
shift 2
if [ "$1" = run ]; then
  for arg in "$@"; do
    case "$arg" in --overrides=*) export OVERRIDES="${arg#--overrides=}" ;; esac
  done
  if [ -n "${FAKE_RUN_CHECK:-}" ]; then exec "$FAKE_PYTHON" "$FAKE_RUN_POD"; fi
  exit "${FAKE_CHECK_EXIT:-0}"
fi
case "$*" in
  "get secret ecommerce-secrets") [ -n "${FAKE_SECRET_EXISTS:-}" ] ;;
  "get secret ecommerce-secrets -o jsonpath={.data."*"}")
    key=${5#jsonpath=\{.data.}; key=${key%\}}
    case " $FAKE_SECRET_KEYS " in *" $key "*) printf 'c2V0' ;; esac ;;
  "get secret ecommerce-tls") exit 1 ;;
  "get deployment ecommerce-api --ignore-not-found -o jsonpath={.spec.replicas}")
    printf '%s' "${FAKE_API_REPLICAS:-}" ;;
  "get deployment ecommerce-worker --ignore-not-found -o jsonpath={.spec.replicas}")
    printf '%s' "${FAKE_WORKER_REPLICAS:-}" ;;
  "rollout status deployment/"*" --timeout=10m") ;;
  *) echo "unexpected kubectl call: $*" >&2; exit 98 ;;
esac
"""


# The check pod's container, run here: its args through the image's entrypoint,
# its envFrom from the ConfigMap the script applied and the fake Secret.
RUN_POD = """
import json, os, subprocess, sys
from pathlib import Path
import yaml
container = json.loads(os.environ["OVERRIDES"])["spec"]["containers"][0]
assert container["image"] == os.environ["FAKE_EXPECTED_IMAGE"], container["image"]
refs = container["envFrom"]
name = next(ref["configMapRef"]["name"] for ref in refs if "configMapRef" in ref)
assert {"secretRef": {"name": "ecommerce-secrets"}} in refs
applied = yaml.safe_load_all(Path(os.environ["FAKE_CONFIG_APPLIED"]).read_text())
data = next(d for d in applied if d and d["kind"] == "ConfigMap" and d["metadata"]["name"] == name)
env = {"PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin", "HOME": os.environ["HOME"]}
env.update(data["data"])
env.update(json.loads(os.environ["FAKE_SECRET_ENV"]))
repo = os.environ["FAKE_REPO"]
argv = [repo + "/docker/entrypoint.sh", *container["args"]]
sys.exit(subprocess.run(argv, env=env, cwd=repo).returncode)
"""


@pytest.fixture
def cluster(kubectl, tmp_path: Path):
    """A copy of k8s/ with a real host, and a fake kubectl first on PATH."""
    k8s = tmp_path / "k8s"
    shutil.copytree(REPO / "k8s", k8s, ignore=shutil.ignore_patterns(".deploy.*"))
    overlay = k8s / "overlays" / "production" / "kustomization.yaml"
    overlay.write_text(overlay.read_text().replace("shop.example.com", HOST))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "kubectl"
    fake.write_text(FAKE_KUBECTL)
    fake.chmod(0o755)
    run_pod = tmp_path / "run_pod.py"
    run_pod.write_text(RUN_POD)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "REAL_KUBECTL": kubectl,
        "FAKE_LOG": str(tmp_path / "calls.log"),
        "FAKE_APPLIED": str(tmp_path / "applied.yaml"),
        "FAKE_CONFIG_APPLIED": str(tmp_path / "config-applied.yaml"),
        "FAKE_PYTHON": sys.executable,
        "FAKE_RUN_POD": str(run_pod),
        "FAKE_REPO": str(REPO),
        "FAKE_EXPECTED_IMAGE": f"{TEST_IMAGE}:{TEST_TAG}",
        "FAKE_SECRET_ENV": json.dumps(
            {
                "SECRET_KEY": secrets.token_urlsafe(50),
                "DATABASE_URL": "postgres://shop:pw@db.internal:5432/shop",
                "REDIS_URL": "redis://cache.internal:6379/0",
            }
        ),
        "FAKE_SECRET_EXISTS": "1",
        "FAKE_SECRET_KEYS": "SECRET_KEY DATABASE_URL REDIS_URL METRICS_TOKEN",
    }

    def deploy(**overrides: str) -> tuple[subprocess.CompletedProcess, list[str], list[dict]]:
        result = subprocess.run(  # noqa: S603
            ["bash", str(k8s / "deploy.sh"), TEST_IMAGE, TEST_TAG],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**env, **overrides},
        )
        log = Path(env["FAKE_LOG"])
        calls = log.read_text().splitlines() if log.exists() else []
        applied = Path(env["FAKE_APPLIED"])
        docs = [d for d in yaml.safe_load_all(applied.read_text()) if d] if applied.exists() else []
        return result, calls, docs

    deploy.overlay = overlay  # type: ignore[attr-defined]
    return deploy


def test_applies_the_commit_image_then_waits_for_every_rollout(cluster):
    result, calls, docs = cluster()
    assert result.returncode == 0, result.stderr
    images = {
        item["image"]
        for doc in docs
        if doc["kind"] == "Deployment"
        for item in doc["spec"]["template"]["spec"]["containers"]
        + doc["spec"]["template"]["spec"].get("initContainers", [])
    }
    assert images == {f"{TEST_IMAGE}:{TEST_TAG}"}
    assert find(docs, "ConfigMap", "ecommerce-config")["data"]["ALLOWED_HOSTS"] == HOST
    assert find(docs, "Ingress", "ecommerce-api")["spec"]["rules"][0]["host"] == HOST
    applied_at = next(i for i, call in enumerate(calls) if call.startswith("apply -k"))
    waits = [call for call in calls[applied_at:] if "rollout status" in call]
    assert [call.split()[4] for call in waits] == [
        "deployment/ecommerce-api",
        "deployment/ecommerce-worker",
        "deployment/ecommerce-cron",
    ]
    # The TLS Secret does not exist in the fake cluster: said, not fatal.
    assert "ecommerce-tls" in result.stderr


def test_first_deployment_uses_the_manifests_replica_counts(cluster):
    result, _, docs = cluster()
    assert result.returncode == 0, result.stderr
    assert find(docs, "Deployment", "ecommerce-api")["spec"]["replicas"] == 3
    assert find(docs, "Deployment", "ecommerce-worker")["spec"]["replicas"] == 2


def test_keeps_the_autoscaled_and_hand_scaled_replica_counts(cluster):
    """A deploy at peak must not drop the api from the HPA's 7 pods back to 3."""
    result, _, docs = cluster(FAKE_API_REPLICAS="7", FAKE_WORKER_REPLICAS="4")
    assert result.returncode == 0, result.stderr
    assert find(docs, "Deployment", "ecommerce-api")["spec"]["replicas"] == 7
    assert find(docs, "Deployment", "ecommerce-worker")["spec"]["replicas"] == 4
    assert find(docs, "Deployment", "ecommerce-cron")["spec"]["replicas"] == 1


def test_refuses_the_placeholder_host(cluster):
    cluster.overlay.write_text(cluster.overlay.read_text().replace(HOST, "shop.example.com"))
    result, calls, _ = cluster()
    assert result.returncode == 1
    assert "placeholder host shop.example.com" in result.stderr
    assert not [call for call in calls if call.startswith("apply")]


def test_refuses_a_missing_secret(cluster):
    result, calls, _ = cluster(FAKE_SECRET_EXISTS="")
    assert result.returncode == 1
    assert "Secret ecommerce-secrets is missing" in result.stderr
    assert not [call for call in calls if call.startswith("apply")]


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL"])
def test_refuses_a_secret_without_a_required_value(cluster, missing):
    keys = " ".join(k for k in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL") if k != missing)
    result, calls, _ = cluster(FAKE_SECRET_KEYS=keys)
    assert result.returncode == 1
    assert f"no value for {missing}" in result.stderr
    assert not [call for call in calls if call.startswith("apply")]


def test_the_new_image_checks_the_new_configuration_before_anything_rolls(cluster):
    """The real check (the image's manage role) passes the production overlay's
    ConfigMap and a sound Secret; the ConfigMap alone is applied first."""
    result, calls, docs = cluster(FAKE_RUN_CHECK="1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    config_apply = next(i for i, c in enumerate(calls) if c.endswith("component=config"))
    check = next(i for i, c in enumerate(calls) if c.startswith("-n ecommerce run "))
    full_apply = next(i for i, c in enumerate(calls) if c.startswith("apply -k") and "-l" not in c)
    assert config_apply < check < full_apply
    assert find(docs, "ConfigMap", "ecommerce-config")["metadata"]["labels"] == {
        "app.kubernetes.io/component": "config",
        "app.kubernetes.io/part-of": "ecommerce",
    }


def test_a_configuration_the_image_refuses_is_not_deployed(cluster):
    """A weak key in the Secret: the check pod exits 2 with its line, nothing rolls."""
    weak = {
        "SECRET_KEY": "secret",
        "DATABASE_URL": "postgres://shop:pw@db.internal:5432/shop",
        "REDIS_URL": "redis://cache.internal:6379/0",
    }
    result, calls, docs = cluster(FAKE_RUN_CHECK="1", FAKE_SECRET_ENV=json.dumps(weak))
    assert result.returncode == 1
    assert "SECRET_KEY: is too short" in result.stderr
    assert "does not accept this configuration" in result.stderr
    assert not [c for c in calls if c.startswith("apply -k") and "-l" not in c]
    assert docs == []
    assert not [c for c in calls if "rollout" in c]


def test_a_failing_check_pod_stops_the_deploy(cluster):
    result, calls, _ = cluster(FAKE_CHECK_EXIT="1")
    assert result.returncode == 1
    assert not [c for c in calls if c.startswith("apply -k") and "-l" not in c]
