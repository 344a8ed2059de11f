"""README.md documents every variable the processes read, and its Deploy section
says where each Kubernetes setting comes from, exactly as k8s/ renders it."""

import re

from tests.deploy.conftest import REPO, find

README = REPO / "README.md"

# Where each kind of file reads the environment.
NAME = r"([A-Z][A-Z0-9_]*)"
OS_ENVIRON = r"os\.environ(?:\.get|\.setdefault)?[(\[]\s*\"" + NAME
READERS = {
    "ecommerce/settings/__init__.py": r"\benv\.\w+\(\s*\"" + NAME,
    "docker/gunicorn.conf.py": OS_ENVIRON,
    "docker/healthcheck.py": OS_ENVIRON,
    "docker/entrypoint.sh": r"\$\{" + NAME,
    "k8s/deploy.sh": r"\$\{" + NAME,
}


def _variables_read() -> dict[str, set[str]]:
    return {
        path: set(re.findall(pattern, (REPO / path).read_text()))
        for path, pattern in READERS.items()
    }


def _deploy_section() -> str:
    text = README.read_text()
    start = text.index("\n## Deploy\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _row(section: str, first_cell: str) -> str:
    return next(line for line in section.splitlines() if line.startswith(f"| {first_cell}"))


def test_the_readers_are_found():
    """Guards the patterns below: an empty match would make the next test vacuous."""
    read = _variables_read()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "METRICS_TOKEN"} <= read[
        "ecommerce/settings/__init__.py"
    ]
    assert {"WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "PROMETHEUS_MULTIPROC_DIR"} <= read[
        "docker/gunicorn.conf.py"
    ]
    assert "WORKER_QUEUES" in read["docker/entrypoint.sh"]


def test_every_variable_read_is_documented_in_the_readme():
    readme = README.read_text()
    missing = {
        path: sorted(name for name in names if f"`{name}`" not in readme)
        for path, names in _variables_read().items()
    }
    assert not any(missing.values()), missing


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
