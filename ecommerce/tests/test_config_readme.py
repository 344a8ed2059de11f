"""README's configuration tables, ecommerce.config.VARIABLES and the code agree.

The tables (README "Configuration" for the app, "Deploy > Configuration" for
the image and its server) are the list of variables an operator has. Each
row is a variable of ``VARIABLES`` in that table, with its default as the
code has it; the code reads no variable outside that list, and uses every
one in it.
"""

import ast
import re
from pathlib import Path

import pytest
import yaml

from ecommerce import config

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
HEADER = "| variable | default | accepted | meaning |"

# Runtime code: where reading the environment would be configuration.
RUNTIME = ["accounts", "catalog", "ecommerce", "orders", "payments", "docker", "manage.py"]
# Files that read the environment with a computed name: the reader itself, and
# seed_demo's DEMO_*_PASSWORD (README "Set-up": demo logins, not configuration).
COMPUTED_NAME_READERS = {"ecommerce/config/__init__.py", "catalog/management/commands/seed_demo.py"}
# Where the values are used (``env.NAME`` in the settings, ``CONFIG.NAME`` in
# gunicorn's, ``.NAME`` on the loaded values in the entrypoint and health check).
CONSUMERS = [
    "ecommerce/settings/__init__.py",
    "docker/gunicorn.conf.py",
    "docker/entrypoint.sh",
    "docker/healthcheck.py",
]


def _section(text: str, heading: str, after: str | None = None) -> str:
    start = text.index(after) if after else 0
    start = text.index(heading, start) + len(heading)
    level = heading.strip().split()[0]
    ends = [text.find(f"\n{'#' * n} ", start) for n in range(2, len(level) + 1)]
    ends = [end for end in ends if end != -1]
    return text[start : min(ends) if ends else len(text)]


def _rows(section: str) -> list[list[str]]:
    lines = section.splitlines()
    rows = []
    for index, line in enumerate(lines):
        if line.strip() != HEADER:
            continue
        for row in lines[index + 2 :]:
            if not row.startswith("|"):
                break
            rows.append([cell.strip() for cell in row.strip().strip("|").split(" | ")])
    return rows


def readme_tables() -> dict[str, dict[str, list[str]]]:
    """``{"app": {NAME: [default, accepted, meaning]}, "server": {...}}`` from README."""
    text = README.read_text()
    sections = {
        "app": _section(text, "\n## Configuration\n"),
        "server": _section(text, "\n### Configuration\n", after="\n## Deploy\n"),
    }
    tables: dict[str, dict[str, list[str]]] = {}
    for table, section in sections.items():
        tables[table] = {}
        for row in _rows(section):
            names = re.findall(r"`([A-Z][A-Z0-9_]*)`", row[0])
            assert len(names) == 1 and row[0] == f"`{names[0]}`", f"one variable per row: {row}"
            assert len(row) == 4, f"{names[0]}: a row has four cells: {row}"
            assert names[0] not in tables[table], f"{names[0]} has two rows"
            tables[table][names[0]] = row[1:]
    return tables


def test_the_tables_are_found():
    """Guards the parsing: an empty table would make the tests below vacuous."""
    tables = readme_tables()
    assert len(tables["app"]) >= 60
    assert {"DJANGO_SETTINGS_MODULE", "GUNICORN_ACCESS_LOG"} <= set(tables["server"])


@pytest.mark.parametrize("table", ["app", "server"])
def test_every_variable_is_documented_in_its_table_and_nothing_else(table):
    documented = set(readme_tables()[table])
    declared = {variable.name for variable in config.VARIABLES if variable.table == table}
    assert not declared - documented, (
        f"declared in ecommerce.config.VARIABLES but not in README's {table} table: "
        f"{sorted(declared - documented)}"
    )
    assert not documented - declared, (
        f"in README's {table} table but not read by ecommerce.config: "
        f"{sorted(documented - declared)}"
    )


def _literal_defaults() -> list[config.Variable]:
    return [variable for variable in config.VARIABLES if not callable(variable.default)]


@pytest.mark.parametrize("variable", _literal_defaults(), ids=lambda v: v.name)
def test_the_documented_default_is_the_codes(variable):
    default, accepted, meaning = readme_tables()[variable.table][variable.name]
    assert accepted and meaning
    if variable.default == "":
        assert default.startswith(("empty", "none")), (
            f"{variable.name} has no default: its cell should say empty or none, not {default!r}"
        )
        return
    written = re.match(r"`([^`]*)`", default)
    assert written, f"{variable.name}: the default cell starts with the value: `{variable.default}`"
    reader = variable.reader
    assert reader.parse(written.group(1)) == reader.parse(variable.default), (
        f"{variable.name}: README says {written.group(1)!r}, ecommerce.config {variable.default!r}"
    )


def test_every_row_says_what_is_accepted():
    for table in readme_tables().values():
        for name, (_, accepted, _) in table.items():
            assert len(accepted) > 3, name


# --- the code reads the environment only through ecommerce.config ------------------------


def _runtime_python_files() -> list[Path]:
    files = []
    for entry in RUNTIME:
        path = REPO / entry
        candidates = [path] if path.is_file() else sorted(path.rglob("*.py"))
        files += [
            file
            for file in candidates
            if "tests" not in file.relative_to(REPO).parts
            and "migrations" not in file.relative_to(REPO).parts
        ]
    return files


def _environment_reads(tree: ast.AST) -> tuple[set[str], int]:
    """Names read from os.environ / os.getenv as literals, and how many reads are not."""
    literal, computed = set(), 0

    def key(node: ast.AST | None) -> None:
        nonlocal computed
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            literal.add(node.value)
        else:
            computed += 1

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = ast.unparse(node.func)
            if function in ("os.getenv", "os.environ.get", "os.environ.pop") or (
                function == "os.environ.setdefault"
            ):
                key(node.args[0] if node.args else None)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            if isinstance(node.ctx, ast.Load):
                key(node.slice)
        elif isinstance(node, ast.Compare) and any(
            ast.unparse(comparator) == "os.environ" for comparator in node.comparators
        ):
            key(node.left)
    return literal, computed


def test_the_scan_finds_environment_reads():
    """Guards the scan below with a sample of each form it looks for."""
    sample = ast.parse(
        'os.environ.get("A"); os.environ["B"]; os.getenv("C"); "D" in os.environ; os.environ[name]'
    )
    assert _environment_reads(sample) == ({"A", "B", "C", "D"}, 1)


def test_the_code_reads_no_undocumented_variable():
    declared = set(config.by_name())
    undeclared, computed = {}, {}
    for path in _runtime_python_files():
        relative = str(path.relative_to(REPO))
        literal, other = _environment_reads(ast.parse(path.read_text()))
        if literal - declared:
            undeclared[relative] = sorted(literal - declared)
        if other and relative not in COMPUTED_NAME_READERS:
            computed[relative] = other
        if not relative.startswith("ecommerce/config/"):
            assert "environ.Env" not in path.read_text(), (
                f"{relative}: read through ecommerce.config"
            )
    for script in ("docker/entrypoint.sh", "k8s/deploy.sh"):
        names = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", (REPO / script).read_text()))
        if names - declared:
            undeclared[script] = sorted(names - declared)
    assert not undeclared, f"read but not in ecommerce.config.VARIABLES (nor README): {undeclared}"
    assert not computed, f"environment reads with a computed name: read via config: {computed}"


# Read by ecommerce.config itself, before the others: the file they may come from.
READ_BEFORE_LOADING = {"ENV_FILE"}


def test_every_variable_is_used_by_the_code():
    code = "\n".join((REPO / path).read_text() for path in CONSUMERS)
    unused = [
        variable.name
        for variable in config.VARIABLES
        if not re.search(rf"\.{variable.name}\b", code) and variable.name not in READ_BEFORE_LOADING
    ]
    assert not unused, f"declared and documented, but no role uses the value: {unused}"


# --- what the deployment files set is a variable too ---------------------------------


def _deployment_settings() -> dict[str, set[str]]:
    base = yaml.safe_load((REPO / "k8s/base/kustomization.yaml").read_text())
    literals = {
        line.split("=", 1)[0]
        for generator in base["configMapGenerator"]
        for line in generator["literals"]
    }
    example = (REPO / "k8s/overlays/production/secrets.env.example").read_text()
    secrets = {line.split("=", 1)[0] for line in example.splitlines() if re.match(r"[A-Z]", line)}
    compose = yaml.safe_load((REPO / "docker/compose.yml").read_text())
    manifests = {}
    for path in sorted((REPO / "k8s/base").glob("*deployment.yaml")):
        spec = yaml.safe_load(path.read_text())["spec"]["template"]["spec"]
        containers = spec["containers"] + spec.get("initContainers", [])
        manifests[path.name] = {e["name"] for c in containers for e in c.get("env", [])}
    return {
        "k8s/base/kustomization.yaml": literals,
        "secrets.env.example": secrets,
        "docker/compose.yml": set(compose["x-app"]["environment"]),
        **manifests,
    }


def test_deployment_files_set_only_variables_the_code_reads():
    declared = set(config.by_name())
    # The Kubernetes downward API's pod address, used to build ALLOWED_HOSTS.
    kubernetes_only = {"POD_IP"}
    unknown = {
        where: sorted(names - declared - kubernetes_only)
        for where, names in _deployment_settings().items()
        if names - declared - kubernetes_only
    }
    assert not unknown, unknown
