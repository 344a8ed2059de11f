"""make lint and the git hooks check the same things with the same tools.

``make lint`` (and so CI, .ci/run and the workflow) runs ruff, mypy and
import-linter; ``.pre-commit-config.yaml`` runs them before each commit, from
the project's venv (local hooks: offline, the versions of requirements/dev.txt).
mypy is strict on the business logic: every ``services``/``selectors`` module.
"""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
TOOLS = {"ruff", "mypy", "lint-imports"}
STRICT = {
    "disallow_untyped_defs",
    "disallow_incomplete_defs",
    "disallow_untyped_calls",
    "disallow_any_generics",
    "warn_return_any",
}


def _lint_recipe() -> str:
    makefile = (REPO / "Makefile").read_text()
    recipe = re.search(r"^lint: .*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "Makefile has a lint target"
    variables = dict(re.findall(r"^(\w+) = (.*)$", makefile, re.MULTILINE))
    return re.sub(r"\$\((\w+)\)", lambda m: variables.get(m[1], m[0]), recipe[1])


def _hooks() -> list[dict]:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    return [hook for repo in config["repos"] for hook in repo["hooks"]]


def test_make_lint_runs_ruff_mypy_and_the_import_contracts():
    recipe = _lint_recipe()
    for command in ("ruff check .", "ruff format --check .", "mypy", "lint-imports"):
        assert command in recipe, command


def test_the_hooks_run_the_venvs_tools_and_nothing_is_downloaded():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    tools = set()
    for hook in _hooks():
        assert hook["language"] == "unsupported", hook["id"]
        tool = re.search(r"\.venv/bin/(\S+)", hook["entry"])
        assert tool, f"{hook['id']} runs a tool of the venv"
        assert (VENV_BIN / tool[1]).exists(), f"{tool[1]} is installed by make install"
        tools.add(tool[1])
    assert tools == TOOLS


def test_the_hooks_config_is_valid_for_the_pinned_pre_commit():
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [VENV_BIN / "pre-commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_strict_on_every_services_and_selectors_module():
    mypy = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mypy"]
    assert mypy["plugins"] == ["mypy_django_plugin.main", "mypy_drf_plugin.main"]
    strict = [o for o in mypy["overrides"] if "*.services" in o["module"]]
    assert len(strict) == 1
    assert {"*.services", "*.services.*", "*.selectors", "*.selectors.*"} <= set(
        strict[0]["module"]
    )
    assert all(strict[0].get(option) is True for option in STRICT)
