"""README.md's Deploy section says where each Kubernetes setting comes from, exactly
as k8s/ renders it. (That README documents every variable the processes read is
ecommerce/tests/test_config_readme.py.)"""

import re

from tests.deploy.conftest import REPO, find

README = REPO / "README.md"


def _deploy_section() -> str:
    text = README.read_text()
    start = text.index("\n## Deploy\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _row(section: str, first_cell: str) -> str:
    return next(line for line in section.splitlines() if line.startswith(f"| {first_cell}"))


def test_deploy_section_lists_exactly_the_configmap_and_secret_keys(production_docs):
    section = _deploy_section()
    config = find(production_docs, "ConfigMap", "ecommerce-config")
    listed = set(re.findall(r"`([A-Z][A-Z0-9_]*)`", _row(section, "ConfigMap").split("|")[3]))
    assert listed == set(config["data"])
    example = (REPO / "k8s/overlays/production/secrets.env.example").read_text()
    secret_keys = {
        line.split("=", 1)[0] for line in example.splitlines() if re.match(r"^[A-Z]", line)
    }
    listed = set(re.findall(r"`([A-Z][A-Z0-9_]*)`", _row(section, "Secret").split("|")[3]))
    assert listed == secret_keys


def test_deploy_section_states_the_manifests_numbers(production_docs):
    section = " ".join(_deploy_section().split())
    hpa = find(production_docs, "HorizontalPodAutoscaler", "ecommerce-api")["spec"]
    assert f"between {hpa['minReplicas']} and {hpa['maxReplicas']}" in section
    assert f"{hpa['metrics'][0]['resource']['target']['averageUtilization']} % CPU" in section
    api = find(production_docs, "Deployment", "ecommerce-api")
    assert f"api: {api['spec']['replicas']} replicas" in section
    resources = api["spec"]["template"]["spec"]["containers"][0]["resources"]
    requests, limits = resources["requests"], resources["limits"]
    assert f"requests {requests['cpu']} CPU / {requests['memory']}" in section
    assert f"limited to {limits['cpu'].rstrip('m')}m / {limits['memory']}" in section
    grace = api["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert f"{grace} s grace period" in section


def test_deploy_section_commands_name_real_files():
    section = _deploy_section()
    # The one file the operator makes (from secrets.env.example); git ignores it.
    operators = "k8s/overlays/production/secrets.env"
    assert "secrets.env" in (REPO / "k8s/overlays/production/.gitignore").read_text().split()
    paths = set(re.findall(r"\b((?:k8s|docker)/[\w./-]+\w)", section)) - {operators}
    assert paths
    for path in paths:
        assert (REPO / path).exists(), path
