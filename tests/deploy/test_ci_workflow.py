""".github/workflows/: parses, tests against real services, ships the commit's image."""

import re

import yaml

from tests.deploy.conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"


def _workflow() -> dict:
    return yaml.safe_load((WORKFLOWS / "ci.yml").read_text())


def _triggers(workflow: dict) -> dict:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    return workflow.get("on", workflow.get(True))  # type: ignore[return-value]


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_every_workflow_parses_with_jobs_and_steps():
    files = sorted(WORKFLOWS.glob("*.y*ml"))
    assert files
    for path in files:
        workflow = yaml.safe_load(path.read_text())
        assert _triggers(workflow), path
        for name, job in workflow["jobs"].items():
            assert job["runs-on"], name
            assert job["steps"], name


def test_runs_on_pushes_to_main_and_pull_requests():
    triggers = _triggers(_workflow())
    assert triggers["push"]["branches"] == ["main"]
    assert "pull_request" in triggers


def test_tests_run_against_postgres_and_redis_service_containers():
    job = _workflow()["jobs"]["test"]
    assert set(job["services"]) == {"postgres", "redis"}
    assert job["env"]["DATABASE_URL"].startswith("postgres://")
    assert job["env"]["REDIS_URL"].startswith("redis://")
    assert "make test" in _runs(job)
    # tests/deploy renders the manifests with kubectl.
    assert any("setup-kubectl" in step.get("uses", "") for step in job["steps"])


def test_lint_runs():
    assert "make lint" in _runs(_workflow()["jobs"]["lint"])


def test_image_is_tagged_with_the_commit_sha_and_never_only_latest():
    job = _workflow()["jobs"]["image"]
    build = next(step for step in job["steps"] if "build-push-action" in step.get("uses", ""))
    tags = [line.strip() for line in build["with"]["tags"].splitlines() if line.strip()]
    assert any(tag.endswith(":${{ github.sha }}") for tag in tags)
    assert not any(tag.endswith(":latest") for tag in tags)
    assert build["with"]["file"] == "docker/Dockerfile"
    assert "refs/heads/main" in build["with"]["push"]
    assert set(job["needs"]) == {"lint", "test"}


def test_deploy_runs_on_main_only_with_the_commit_image():
    job = _workflow()["jobs"]["deploy"]
    assert "refs/heads/main" in job["if"]
    assert job["needs"] == ["image"]
    assert re.search(r'k8s/deploy\.sh "\$IMAGE" "\$GITHUB_SHA"', _runs(job))


def test_actions_are_pinned_by_commit_sha_with_the_release_in_a_comment():
    """A tag can be moved to other code; a commit cannot. Dependabot updates both."""
    for path in sorted(WORKFLOWS.glob("*.y*ml")):
        workflow = yaml.safe_load(path.read_text())
        used = {
            step["uses"]
            for job in workflow["jobs"].values()
            for step in job["steps"]
            if "uses" in step
        }
        assert used, path
        for uses in used:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), uses
        lines = re.findall(r"^\s*(?:- )?uses: (\S+)(.*)$", path.read_text(), re.M)
        assert {uses for uses, _ in lines} == used
        for uses, comment in lines:
            assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), f"{path.name}: {uses}{comment}"


def test_dependabot_updates_pip_docker_and_the_actions():
    config = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    ecosystems = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(ecosystems) == {"pip", "docker", "github-actions"}
    assert ecosystems["pip"]["directory"] == "/requirements"
    assert ecosystems["docker"]["directory"] == "/docker"
    assert ecosystems["github-actions"]["directory"] == "/"
    for update in config["updates"]:
        assert update["schedule"]["interval"] in {"daily", "weekly", "monthly"}


def test_test_job_has_the_binaries_the_suite_starts_itself():
    """The Redis outage tests spawn redis-server, the web-role tests nginx; tests/deploy
    runs shellcheck."""
    job = _workflow()["jobs"]["test"]
    steps = job["steps"]
    install = next(i for i, step in enumerate(steps) if "apt-get install" in step.get("run", ""))
    make_test = next(i for i, step in enumerate(steps) if "make test" in step.get("run", ""))
    assert install < make_test
    packages = steps[install]["run"].split("apt-get install", 1)[1].split("\n", 1)[0].split()
    assert {
        "redis-server",
        "shellcheck",
        "nginx",
        "libnginx-mod-http-headers-more-filter",
    } <= set(packages)
    # The service container owns 6379: apt must not start a second Redis there.
    assert "policy-rc.d" in steps[install]["run"]
    assert job["services"]["redis"]["ports"] == ["6379:6379"]
