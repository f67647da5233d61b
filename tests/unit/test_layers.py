"""The layer rules: the domain imports no framework or driver; the application depends on the domain only."""

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pepy"
# Third-party libraries the inner layers may use: pure helpers, no I/O.
ALLOWED_THIRD_PARTY = {"packaging"}


def imported_modules(folder: Path):
    for file in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Import):
                yield file, [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                yield file, [node.module]


@pytest.mark.parametrize(
    ("layer", "may_use"), [("domain", {"pepy.domain"}), ("application", {"pepy.domain", "pepy.application"})]
)
def test_inner_layers_import_only_the_standard_library_and_inner_layers(layer, may_use):
    offenders = []
    for file, modules in imported_modules(PACKAGE / layer):
        for module in modules:
            top = module.split(".")[0]
            if top == "pepy":
                if not any(module == allowed or module.startswith(allowed + ".") for allowed in may_use):
                    offenders.append(f"{file.name}: {module}")
            elif top not in sys.stdlib_module_names and top not in ALLOWED_THIRD_PARTY and top != "__future__":
                offenders.append(f"{file.name}: {module}")
    assert offenders == []


def test_the_api_imports_no_driver_and_no_postgres_adapter():
    offenders = [
        f"{file.name}: {module}"
        for file, modules in imported_modules(PACKAGE / "infrastructure" / "api")
        for module in modules
        if module.split(".")[0] == "psycopg2" or module.startswith("pepy.infrastructure.postgres")
    ]
    assert offenders == []


def test_every_port_is_in_the_ports_module():
    abstract = []
    for layer in ("domain", "application"):
        for file in sorted((PACKAGE / layer).rglob("*.py")):
            for node in ast.walk(ast.parse(file.read_text())):
                if isinstance(node, ast.ClassDef) and any(getattr(b, "id", None) == "ABC" for b in node.bases):
                    abstract.append(f"{file.relative_to(PACKAGE)}: {node.name}")
    assert abstract and all(place.startswith("domain/ports.py: ") for place in abstract), abstract


def test_no_module_is_over_400_lines():
    long = {
        str(f.relative_to(PACKAGE)): n for f in PACKAGE.rglob("*.py") if (n := len(f.read_text().splitlines())) > 400
    }
    assert long == {}
