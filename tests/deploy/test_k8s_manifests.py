"""k8s/: renders offline with kustomize, and holds what the deployment design promises."""

import re
import shutil

import yaml

from ecommerce import config
from tests.deploy.conftest import (
    REPO,
    TEST_IMAGE,
    TEST_TAG,
    container,
    find,
    kubectl_kustomize,
    pod_spec,
)

K8S = REPO / "k8s"
POD_LABELS = {"app.kubernetes.io/name": "ecommerce", "app.kubernetes.io/component": "api"}


def _env(item: dict) -> dict[str, dict]:
    return {entry["name"]: entry for entry in item.get("env", [])}


def _secret_example_keys() -> set[str]:
    text = (K8S / "overlays" / "production" / "secrets.env.example").read_text()
    return {line.split("=", 1)[0] for line in text.splitlines() if re.match(r"^[A-Z_]+=", line)}


def test_every_yaml_file_parses():
    files = sorted(K8S.rglob("*.yaml"))
    assert files
    for path in files:
        assert list(yaml.safe_load_all(path.read_text())), path


def test_base_renders_offline(kubectl):
    kinds = {doc["kind"] for doc in kubectl_kustomize(K8S / "base")}
    assert {
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ConfigMap",
        "ServiceAccount",
    } <= kinds


def test_production_render_pins_every_container_to_the_commit_image(production_docs):
    images = [
        item["image"]
        for doc in production_docs
        if doc["kind"] == "Deployment"
        for item in pod_spec(doc)["containers"] + pod_spec(doc).get("initContainers", [])
    ]
    assert len(images) == 5  # api + migrate, worker + migrate, cron
    assert set(images) == {f"{TEST_IMAGE}:{TEST_TAG}"}


def test_production_overlay_has_no_floating_tag():
    overlay = yaml.safe_load((K8S / "overlays" / "production" / "kustomization.yaml").read_text())
    for image in overlay["images"]:
        assert image.get("newTag") not in (None, "", "latest")


def test_deploy_script_refuses_latest(tmp_path):
    import subprocess

    result = subprocess.run(  # noqa: S603
        ["bash", str(K8S / "deploy.sh"), "--render", TEST_IMAGE, "latest"],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "immutable tag" in result.stderr


def test_api_deployment_matches_the_design(production_docs):
    api = find(production_docs, "Deployment", "ecommerce-api")
    assert api["spec"]["replicas"] == 3
    assert api["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    web = container(api, "api")
    assert web["args"] == ["web"]
    assert web["resources"] == {
        "requests": {"cpu": "250m", "memory": "256Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    }
    assert web["livenessProbe"]["httpGet"]["path"] == "/health"
    assert web["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert web["startupProbe"]["httpGet"]["path"] == "/health"
    assert web["ports"][0]["containerPort"] == 8000


def test_every_pod_runs_non_root_with_read_only_root(production_docs):
    for name in ("ecommerce-api", "ecommerce-worker", "ecommerce-cron"):
        deployment = find(production_docs, "Deployment", name)
        spec = pod_spec(deployment)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] != 0
        assert spec["automountServiceAccountToken"] is False
        for item in spec["containers"] + spec.get("initContainers", []):
            context = item["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, item["name"]
            assert context["allowPrivilegeEscalation"] is False, item["name"]
            assert context["capabilities"]["drop"] == ["ALL"], item["name"]
            mounts = {mount["mountPath"]: mount["name"] for mount in item["volumeMounts"]}
            assert mounts["/tmp"] == "tmp", item["name"]  # noqa: S108
            assert item["resources"]["limits"]["memory"], item["name"]


def test_prometheus_multiproc_dir_is_on_the_writable_volume(production_docs):
    api = find(production_docs, "Deployment", "ecommerce-api")
    value = _env(container(api, "api"))["PROMETHEUS_MULTIPROC_DIR"]["value"]
    assert value.startswith("/tmp/")  # noqa: S108
    assert any("emptyDir" in volume for volume in pod_spec(api)["volumes"])


def test_graceful_shutdown_outlasts_gunicorn_graceful_timeout(production_docs):
    """The entrypoint stops nginx (its graceful stop), then gunicorn (its own)."""
    api = find(production_docs, "Deployment", "ecommerce-api")
    web = container(api, "api")
    pre_stop_sleep = int(web["lifecycle"]["preStop"]["exec"]["command"][-1])
    # The default ecommerce.config gives gunicorn (the Deployment does not set it).
    assert "GUNICORN_GRACEFUL_TIMEOUT" not in _env(web)
    graceful = config.load({"DEBUG": "1"}).GUNICORN_GRACEFUL_TIMEOUT
    nginx = (REPO / "docker" / "nginx.conf").read_text()
    nginx_graceful = int(re.search(r"^worker_shutdown_timeout (\d+)s;", nginx, re.M).group(1))
    assert (
        pod_spec(api)["terminationGracePeriodSeconds"] > pre_stop_sleep + nginx_graceful + graceful
    )


def test_web_run_dir_is_a_writable_volume_of_its_own(production_docs):
    """nginx buffers request bodies there: they must not fill the shared /tmp."""
    api = find(production_docs, "Deployment", "ecommerce-api")
    web = container(api, "api")
    run_dir = _env(web)["WEB_RUN_DIR"]["value"]
    mounts = {mount["mountPath"]: mount["name"] for mount in web["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod_spec(api)["volumes"]}
    assert "emptyDir" in volumes[mounts[run_dir]]
    assert mounts[run_dir] != mounts["/tmp"]  # noqa: S108


def test_worker_finishes_its_longest_job_before_being_killed(production_docs):
    from django.conf import settings

    worker = find(production_docs, "Deployment", "ecommerce-worker")
    assert container(worker, "worker")["args"] == ["worker"]
    longest_job = max(queue["DEFAULT_TIMEOUT"] for queue in settings.RQ_QUEUES.values())
    assert pod_spec(worker)["terminationGracePeriodSeconds"] > longest_job


def test_one_cron_scheduler_per_deployment(production_docs):
    cron = find(production_docs, "Deployment", "ecommerce-cron")
    assert cron["spec"]["replicas"] == 1
    # Recreate: a rollout stops the old scheduler before starting the new one.
    assert cron["spec"]["strategy"] == {"type": "Recreate"}
    assert container(cron, "cron")["args"] == ["cron"]


def test_migrations_run_once_before_new_code_serves(production_docs):
    for name in ("ecommerce-api", "ecommerce-worker"):
        deployment = find(production_docs, "Deployment", name)
        init = pod_spec(deployment)["initContainers"]
        assert [item["args"] for item in init] == [["migrate"]], name
    assert not [doc for doc in production_docs if doc["kind"] == "Job"]


def test_pod_ip_is_appended_to_allowed_hosts_for_probes_and_scrapes(production_docs):
    web = container(find(production_docs, "Deployment", "ecommerce-api"), "api")
    names = [entry["name"] for entry in web["env"]]
    assert names.index("POD_IP") < names.index("ALLOWED_HOSTS")
    assert _env(web)["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    assert _env(web)["ALLOWED_HOSTS"]["value"] == "$(ALLOWED_HOSTS),$(POD_IP)"


def test_config_and_secret_references_resolve(production_docs):
    config = find(production_docs, "ConfigMap", "ecommerce-config")
    assert config["data"]["DEBUG"] == "0"
    assert config["data"]["ALLOWED_HOSTS"]
    assert "SECRET_KEY" not in config["data"]
    secret_keys = _secret_example_keys()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "METRICS_TOKEN"} <= secret_keys
    for name in ("ecommerce-api", "ecommerce-worker", "ecommerce-cron"):
        spec = pod_spec(find(production_docs, "Deployment", name))
        for item in spec["containers"] + spec.get("initContainers", []):
            refs = item["envFrom"]
            assert {"configMapRef": {"name": config["metadata"]["name"]}} in refs
            # Created by the operator from secrets.env.example (README "Deploy").
            assert {"secretRef": {"name": "ecommerce-secrets"}} in refs
    # No secret values are shipped: the only Secret is the operator's.
    assert not [doc for doc in production_docs if doc["kind"] == "Secret"]


def test_service_ingress_and_pdb_select_the_api_pods(production_docs):
    service = find(production_docs, "Service", "ecommerce-api")
    assert service["spec"]["selector"] == POD_LABELS
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    ingress = find(production_docs, "Ingress", "ecommerce-api")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "ecommerce-api", "port": {"name": "http"}}
    assert ingress["spec"]["tls"][0]["hosts"] == [ingress["spec"]["rules"][0]["host"]]
    pdb = find(production_docs, "PodDisruptionBudget", "ecommerce-api")
    assert pdb["spec"]["selector"]["matchLabels"] == POD_LABELS
    api = find(production_docs, "Deployment", "ecommerce-api")
    assert api["spec"]["template"]["metadata"]["labels"] == POD_LABELS


def test_hpa_scales_the_api_between_2_and_10_on_cpu(production_docs):
    hpa = find(production_docs, "HorizontalPodAutoscaler", "ecommerce-api")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "ecommerce-api",
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 10)
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_everything_lands_in_the_namespace(production_docs):
    for doc in production_docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "ecommerce", doc["metadata"]["name"]


def test_pods_carry_scrape_annotations(production_docs):
    api = find(production_docs, "Deployment", "ecommerce-api")
    annotations = api["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"


def test_servicemonitor_component_renders_with_the_metrics_token(kubectl, tmp_path):
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy)
    overlay = copy / "overlays" / "production" / "kustomization.yaml"
    overlay.write_text(overlay.read_text() + "\ncomponents:\n  - ../../components/servicemonitor\n")
    docs = kubectl_kustomize(overlay.parent)
    monitor = find(docs, "ServiceMonitor", "ecommerce-api")
    endpoint = monitor["spec"]["endpoints"][0]
    assert endpoint["path"] == "/metrics"
    assert endpoint["port"] == "http"
    assert endpoint["authorization"]["credentials"] == {
        "name": "ecommerce-secrets",
        "key": "METRICS_TOKEN",
    }
    assert monitor["spec"]["selector"]["matchLabels"] == POD_LABELS


def test_every_configured_variable_is_documented_in_the_readme(production_docs):
    readme = (REPO / "README.md").read_text()
    config = find(production_docs, "ConfigMap", "ecommerce-config")
    for key in set(config["data"]) | _secret_example_keys():
        assert f"`{key}`" in readme, key


def test_required_secret_keys_are_named_so_a_missing_one_stops_the_pod(production_docs):
    """envFrom skips a key the Secret lacks; a secretKeyRef makes the kubelet refuse."""
    required = {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"}
    assert required <= _secret_example_keys()
    for name in ("ecommerce-api", "ecommerce-worker", "ecommerce-cron"):
        spec = pod_spec(find(production_docs, "Deployment", name))
        for item in spec["containers"] + spec.get("initContainers", []):
            refs = {
                entry["name"]: entry["valueFrom"]["secretKeyRef"]
                for entry in item.get("env", [])
                if "secretKeyRef" in entry.get("valueFrom", {})
            }
            assert set(refs) == required, (name, item["name"])
            for key, ref in refs.items():
                assert ref == {"name": "ecommerce-secrets", "key": key}
                assert not ref.get("optional")


def test_production_configuration_passes_check_deploy(production_docs, tmp_path):
    """The api container's environment as the cluster builds it: ConfigMap, the
    required Secret keys (placeholder values) and the container's own env."""
    import os
    import secrets
    import subprocess
    import sys
    from string import Template

    api = find(production_docs, "Deployment", "ecommerce-api")
    environment = dict(find(production_docs, "ConfigMap", "ecommerce-config")["data"])
    environment.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=os.environ["DATABASE_URL"],
        REDIS_URL=os.environ["REDIS_URL"],
        POD_IP="10.1.2.3",
    )
    for entry in container(api, "api")["env"]:
        if "value" in entry:  # $(VAR) is Kubernetes' dependent-variable syntax
            value = re.sub(r"\$\((\w+)\)", r"${\1}", entry["value"])
            environment[entry["name"]] = Template(value).substitute(environment)
    assert environment["ALLOWED_HOSTS"].endswith(",10.1.2.3")
    # gunicorn creates this emptyDir folder at start; here a scratch one.
    environment["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path)
    keep = {"PATH", "HOME", "LANG"}
    env = {k: v for k, v in os.environ.items() if k in keep} | environment
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
