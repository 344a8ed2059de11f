"""Shared helpers for the offline checks of docker/, k8s/ and the CI workflow."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TEST_IMAGE = "registry.example.test/shop/ecommerce"
TEST_TAG = "0123456789abcdef0123456789abcdef01234567"


def kubectl_kustomize(directory: Path) -> list[dict]:
    """`kubectl kustomize DIR` (offline) parsed into its documents."""
    result = subprocess.run(  # noqa: S603
        [shutil.which("kubectl") or "kubectl", "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="session")
def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        pytest.skip("kubectl is not installed (CI installs it; so does this machine)")
    return path


@pytest.fixture(scope="session")
def production_docs(kubectl) -> list[dict]:
    """The production overlay as k8s/deploy.sh renders it for one image and tag."""
    result = subprocess.run(  # noqa: S603
        ["bash", str(REPO / "k8s" / "deploy.sh"), "--render", TEST_IMAGE, TEST_TAG],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def find(docs: list[dict], kind: str, name: str) -> dict:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"].startswith(name)]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def pod_spec(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]


def container(deployment: dict, name: str) -> dict:
    spec = pod_spec(deployment)
    for item in spec.get("containers", []) + spec.get("initContainers", []):
        if item["name"] == name:
            return item
    raise AssertionError(f"no container {name}")
