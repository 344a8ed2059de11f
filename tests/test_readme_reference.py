"""README.md documents what the code has: its manage.py commands and every endpoint."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
PROJECT_APPS = ("ecommerce", "accounts", "catalog", "orders", "payments", "checkout")


def project_commands() -> set[str]:
    return {name for name, app in get_commands().items() if app in PROJECT_APPS}


def test_the_project_has_its_commands():
    assert {"seed_demo", "import_products", "audit_stock"} <= project_commands()


def test_every_project_command_is_in_manage_py_help():
    result = subprocess.run(
        [sys.executable, "manage.py", "help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    listed = set(re.findall(r"^\s{4}(\w+)$", result.stdout, re.M))
    assert project_commands() <= listed
    assert "settings are not properly configured" not in result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(project_commands()))
def test_every_project_command_is_in_the_readme_table(name):
    assert f"| `manage.py {name}` |" in README


def test_every_manage_py_command_the_readme_names_exists():
    named = set(re.findall(r"manage\.py (\w+)", README))
    known = {*get_commands(), "help"}  # help is manage.py's own, not a command module

    assert named <= known, named - known


def _route(path: str) -> str:
    return re.sub(r"\{[^}]+\}|:\w+", ":param", path)


def readme_routes() -> set[tuple[str, str]]:
    # The API table, and the sections' own tables (Catalog lists categories and variants).
    routes = set()
    for methods, path in re.findall(r"^\| ([A-Z, ]+) \| (/v1/\S+) \|", README, re.M):
        routes |= {(method.strip(), _route(path)) for method in methods.split(",")}
    return routes


@pytest.mark.django_db
def test_the_endpoint_table_lists_every_operation_of_the_schema():
    from rest_framework.test import APIClient

    schema = APIClient().get("/v1/schema", {"format": "json"}).json()
    operations = {
        (method.upper(), _route(path))
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }

    assert readme_routes() == operations
