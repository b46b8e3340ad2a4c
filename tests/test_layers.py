"""The layer contract in pyproject.toml covers every app of the project, so a new app cannot sit outside it."""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

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


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"]
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)


def test_the_linter_refuses_an_import_that_climbs_a_layer(tmp_path):
    # A copy of the project's packages with the core reaching up into an app: what the contract forbids.
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for package in contract()["roots"]:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    assert lint_imports(tmp_path).returncode == 0
    (tmp_path / "clinic" / "layer_probe.py").write_text("from intake import rules  # noqa: F401\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout
    assert "clinic.layer_probe -> intake.rules" in result.stdout
