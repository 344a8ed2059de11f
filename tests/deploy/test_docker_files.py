"""docker/ and .dockerignore: the image's recipe holds what the deployment promises.

No Docker engine here: the Dockerfile is checked as text (the hadolint-like
rules that matter to us), the scripts are run directly.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.deploy.conftest import REPO

DOCKER = REPO / "docker"
VENV_BIN = str(Path(sys.executable).parent)


def _stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined), one list per stage."""
    text = (DOCKER / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    stages: list[list[str]] = []
    for instruction in instructions:
        if instruction.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def _final_stage() -> list[str]:
    return _stages()[-1]


def _instructions(stage: list[str], keyword: str) -> list[str]:
    return [line for line in stage if line.split()[0].upper() == keyword]


def _run(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        args,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=REPO,
        env=env,
    )


def test_dockerfile_is_multi_stage_with_named_build_stage():
    stages = _stages()
    assert len(stages) >= 2
    assert re.match(r"FROM \S+ AS build", stages[0][0], re.IGNORECASE)
    assert "--from=build" in " ".join(_instructions(_final_stage(), "COPY"))


def test_base_images_are_pinned_by_version_and_digest():
    text = (DOCKER / "Dockerfile").read_text()
    assert ":latest" not in text
    bases = re.findall(r"^FROM (\S+) AS \w+$", text, re.M)
    assert len(bases) == len(_stages())
    # One image for both stages: the venv is built against the Python it runs on.
    assert len(set(bases)) == 1
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", bases[0])


def test_the_image_installs_the_hashed_production_lock():
    installs = [line for line in _instructions(_stages()[0], "RUN") if "pip install" in line]
    assert installs
    for line in installs:
        assert "--require-hashes" in line
        assert "--requirement requirements/production.lock" in line


def test_final_image_runs_as_a_numeric_non_root_user():
    users = _instructions(_final_stage(), "USER")
    assert users, "no USER in the final stage"
    user = users[-1].split()[1].split(":")[0]
    assert user.isdigit()
    assert int(user) != 0


def test_final_image_has_no_compilers():
    final = " ".join(_final_stage()).lower()
    for tool in ("build-essential", "gcc", "g++", "clang", "make "):
        assert tool not in final, tool


def test_final_image_installs_only_nginx_from_debian():
    """The web role's nginx (docker/nginx.conf) and its headers-more module, nothing else."""
    installs = [line for line in _instructions(_final_stage(), "RUN") if "apt-get install" in line]
    assert len(installs) == 1
    packages = installs[0].split("apt-get install", 1)[1].split("&&")[0].split()
    assert [word for word in packages if not word.startswith("-")] == [
        "nginx",
        "libnginx-mod-http-headers-more-filter",
    ]
    assert "--no-install-recommends" in packages
    assert "rm -rf /var/lib/apt/lists/*" in installs[0]


def test_static_files_are_collected_at_build_and_served_from_the_image():
    final = _final_stage()
    assert any("collectstatic --noinput" in line for line in _instructions(final, "RUN"))
    env = " ".join(_instructions(final, "ENV"))
    assert "WHITENOISE_USE_FINDERS=0" in env
    assert "STATIC_ROOT=/app/staticfiles" in env


def test_healthcheck_probes_health():
    checks = _instructions(_final_stage(), "HEALTHCHECK")
    assert len(checks) == 1
    assert "docker/healthcheck.py" in checks[0]
    assert '/health"' in (DOCKER / "healthcheck.py").read_text()


def test_gunicorn_is_the_default_command_through_the_entrypoint():
    final = _final_stage()
    assert _instructions(final, "ENTRYPOINT") == ['ENTRYPOINT ["/app/docker/entrypoint.sh"]']
    assert _instructions(final, "CMD") == ['CMD ["web"]']
    entrypoint = (DOCKER / "entrypoint.sh").read_text()
    assert (
        "gunicorn --config docker/gunicorn.conf.py" in entrypoint
        and "ecommerce.wsgi:application" in entrypoint
    )
    # Behind the pod's nginx, on a socket nothing else reaches.
    assert 'GUNICORN_BIND="unix:$run_dir/gunicorn.sock"' in entrypoint
    assert 'nginx -e stderr -p "$run_dir" -c "$run_dir/nginx.conf"' in entrypoint


def test_copied_requirement_files_exist_and_pin_gunicorn():
    for line in _instructions(_stages()[0], "COPY"):
        for source in line.split()[1:-1]:
            assert (REPO / source).is_file(), source
    assert re.search(
        r"^gunicorn==[\d.]+$", (REPO / "requirements/production.txt").read_text(), re.M
    )
    assert re.search(
        r"^gunicorn==[\d.]+ \\$", (REPO / "requirements/production.lock").read_text(), re.M
    )


def test_dockerignore_keeps_secrets_and_local_state_out():
    lines = (REPO / ".dockerignore").read_text().splitlines()
    ignored = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert {".git", ".venv", ".env", "db.sqlite3", "staticfiles"} <= ignored
    # The image needs these: they must not be ignored.
    for needed in ("docker", "requirements", "manage.py", "ecommerce"):
        assert needed not in ignored


def test_entrypoint_is_valid_bash_and_executable():
    assert _run("bash", "-n", str(DOCKER / "entrypoint.sh")).returncode == 0
    assert os.access(DOCKER / "entrypoint.sh", os.X_OK)
    assert os.access(REPO / "k8s" / "deploy.sh", os.X_OK)
    assert _run("bash", "-n", str(REPO / "k8s" / "deploy.sh")).returncode == 0


def test_entrypoint_knows_every_role_the_manifests_use():
    entrypoint = (DOCKER / "entrypoint.sh").read_text()
    for role in ("web", "worker", "cron", "migrate", "manage"):
        assert re.search(rf"^  {role}\)$", entrypoint, re.M), role
    assert "manage.py rqcron ecommerce.jobs.cron" in entrypoint
    assert "manage.py rqworker $queues --with-scheduler" in entrypoint


def test_entrypoint_runs_other_commands_with_the_settings_module():
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
        # Set for the whole api container: only the web role may use it.
        "PROMETHEUS_MULTIPROC_DIR": "/tmp/not-for-this-role",  # noqa: S108
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = _run(
        str(DOCKER / "entrypoint.sh"),
        "python",
        "-c",
        "import os; print(os.environ['DJANGO_SETTINGS_MODULE'], "
        "os.environ.get('PROMETHEUS_MULTIPROC_DIR'))",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ecommerce.settings", "None"]


def test_healthcheck_sends_an_allowed_host():
    sys.path.insert(0, str(DOCKER))
    try:
        import healthcheck
    finally:
        sys.path.remove(str(DOCKER))
    # ALLOWED_HOSTS as ecommerce.config reads it.
    assert healthcheck.probe_host([".shop.example.com", "other"]) == "shop.example.com"
    assert healthcheck.probe_host(["*"]) == "localhost"


def _load_gunicorn_config(**env: str) -> dict:
    script = (
        "import json, runpy; c = runpy.run_path('docker/gunicorn.conf.py'); "
        "print(json.dumps({k: v for k, v in c.items() if isinstance(v, (int, str, bool))}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("WEB_", "GUNICORN_"))}
    result = _run(sys.executable, "-c", script, env={**clean, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_gunicorn_workers_default_to_twice_the_cpus_plus_one():
    config = _load_gunicorn_config(PROMETHEUS_MULTIPROC_DIR="/nonexistent-not-used")
    assert config["workers"] == 2 * os.cpu_count() + 1
    assert config["worker_class"] == "sync"
    assert config["preload_app"] is True
    assert config["graceful_timeout"] < config["timeout"] + 1
    assert config["keepalive"] > 0
    assert "%({x-request-id}o)s" in config["access_log_format"]


def test_gunicorn_workers_follow_web_concurrency():
    config = _load_gunicorn_config(WEB_CONCURRENCY="7", GUNICORN_TIMEOUT="45")
    assert config["workers"] == 7
    assert config["timeout"] == 45


def test_compose_runs_api_worker_postgres_redis_after_migrations():
    compose = yaml.safe_load((DOCKER / "compose.yml").read_text())
    services = compose["services"]
    assert {"api", "worker", "cron", "postgres", "redis", "migrate"} <= set(services)
    for role in ("migrate", "worker", "cron"):
        assert services[role]["command"] == [role]
    for name in ("api", "worker", "cron"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        environment = services[name]["environment"]
        assert urlsplit(environment["DATABASE_URL"]).hostname == "postgres"
        assert urlsplit(environment["REDIS_URL"]).hostname == "redis"
        build = services[name]["build"]
        assert (DOCKER / build["context"] / build["dockerfile"]).is_file()
    assert services["api"]["ports"] == ["127.0.0.1:8000:8000"]


def test_migrate_role_serialises_concurrent_pods():
    """Two pods' init containers at once: both succeed, migrations applied once."""
    import psycopg
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("this check needs DATABASE_URL to point at PostgreSQL")
    server = urlsplit(os.environ["DATABASE_URL"])
    scratch = f"{server.path.lstrip('/') or 'ecommerce'}_deploy_migrate"
    admin_url = server._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        admin.execute(f'CREATE DATABASE "{scratch}"')
    try:
        env = {
            **os.environ,
            "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
            "DATABASE_URL": server._replace(path=f"/{scratch}").geturl(),
        }
        pods = [
            subprocess.Popen(  # noqa: S603
                [str(DOCKER / "entrypoint.sh"), "migrate"],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [pod.communicate(timeout=180)[0] for pod in pods]
        assert [pod.returncode for pod in pods] == [0, 0], outputs
        applied = [output.count("Applying ") for output in outputs]
        assert min(applied) == 0
        assert max(applied) > 0
        check = _run(sys.executable, "manage.py", "migrate", "--check", env=env)
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')


SHELL_SCRIPTS = sorted([*DOCKER.glob("*.sh"), *(REPO / "k8s").rglob("*.sh")])


def test_shell_scripts_pass_shellcheck():
    assert {path.name for path in SHELL_SCRIPTS} >= {"entrypoint.sh", "deploy.sh"}
    for path in SHELL_SCRIPTS:
        assert _run("bash", "-n", str(path)).returncode == 0, path
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        if os.environ.get("GITHUB_ACTIONS") == "true":  # the workflow installs it
            pytest.fail("shellcheck is not installed")
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    result = _run(shellcheck, "--severity=style", *map(str, SHELL_SCRIPTS))
    assert result.returncode == 0, result.stdout + result.stderr


def _collectstatic_command() -> str:
    runs = [line for line in _instructions(_final_stage(), "RUN") if "collectstatic" in line]
    assert len(runs) == 1, runs
    return runs[0].split(None, 1)[1]


# Renders the two HTML pages with static assets and fetches every asset they
# reference, as a browser would, through the app (WhiteNoise) only.
FETCH_STATIC = """
import json, re, django
django.setup()
from django.test import Client
client, pages = Client(), {}
for page in ("/v1/docs", "/admin/login/"):
    response = client.get(page)
    assets = {}
    html = response.content.decode()
    for url in sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html))):
        asset = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assets[url] = [asset.status_code, asset.get("Cache-Control", ""),
                       asset.get("Content-Encoding", "")]
    pages[page] = {"status": response.status_code, "assets": assets}
print(json.dumps(pages))
"""


def test_build_collects_hashed_compressed_static_files_the_app_serves(tmp_path):
    """The Dockerfile's collectstatic line, run here, then admin and Swagger UI
    served from its output alone (WHITENOISE_USE_FINDERS=0, as in the image)."""
    static_root = tmp_path / "staticfiles"
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
        "STATIC_ROOT": str(static_root),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    built = _run("bash", "-c", _collectstatic_command(), env=env, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    assert "admin/css/base.css" in manifest["paths"]
    assert (static_root / f"{manifest['paths']['admin/css/base.css']}.gz").is_file()

    served = _run(
        sys.executable,
        "-c",
        FETCH_STATIC,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "ecommerce.settings",
            "WHITENOISE_USE_FINDERS": "0",
            "DEBUG": "0",
            "HTTPS_ONLY": "0",
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "REDIS_URL": "",
        },
    )
    assert served.returncode == 0, served.stderr
    pages = json.loads(served.stdout)
    for page, result in pages.items():
        assert result["status"] == 200, page
        assert len(result["assets"]) >= 3, page
        for url, (status, cache_control, encoding) in result["assets"].items():
            assert status == 200, url
            assert re.search(r"\.[0-9a-f]{12}\.\w+$", url), url  # hashed name
            assert "immutable" in cache_control, url
            if url.endswith((".css", ".js")):
                assert encoding == "gzip", url


CHILD_EXIT_IMPORTS = """
import json, runpy, sys
config = runpy.run_path("docker/gunicorn.conf.py")
before = set(sys.modules)
class Worker:
    pid = 999999
config["child_exit"](None, Worker())
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_gunicorn_child_exit_hook_imports_nothing(tmp_path):
    """child_exit runs in the master's SIGCHLD handler. An import there is
    re-entered when a second worker exits meanwhile (max_requests recycles them
    in bursts): ImportError from a half-imported prometheus_client, and the
    master stops. Everything it needs is imported when the config loads."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    result = _run(sys.executable, "-c", CHILD_EXIT_IMPORTS, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
