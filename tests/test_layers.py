"""The layer contract in pyproject.toml covers every app of the project, so a new app cannot sit outside it."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent


def contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return {"roots": config["root_packages"], "layers": layers["layers"]}


def test_every_app_of_the_project_is_a_layer():
    ours = {c.name for c in apps.get_app_configs() if Path(c.path).resolve().parent == ROOT}
    assert ours == set(contract()["layers"]) == set(contract()["roots"])


def test_the_core_is_the_bottom_layer_and_the_pages_the_top():
    layers = contract()["layers"]
    assert layers[0] == "pages" and layers[-1] == "clinic"


@pytest.fixture
def upward_import():
    # The core reaching up into an app: exactly what the contract forbids.
    module = ROOT / "clinic" / "_layer_probe.py"
    module.write_text("from intake import rules  # noqa: F401\n")
    yield
    module.unlink()


def lint_imports() -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_the_linter_refuses_an_import_that_climbs_a_layer(upward_import):
    result = lint_imports()
    assert result.returncode == 1, result.stdout
    assert "clinic._layer_probe -> intake.rules" in result.stdout
