"""Every asset a template names exists locally (vendored under static/, never a CDN)."""

import re
from pathlib import Path

from django.contrib.staticfiles import finders

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
STATIC_TAG = re.compile(r"""{%\s*static\s+['"]([^'"]+)['"]\s*%}""")


def test_every_static_reference_resolves():
    missing = [
        (template.name, path)
        for template in TEMPLATES.rglob("*.html")
        for path in STATIC_TAG.findall(template.read_text())
        if not finders.find(path)
    ]
    assert not missing


def test_no_template_loads_anything_from_another_site():
    offenders = [
        template.name
        for template in TEMPLATES.rglob("*.html")
        if re.search(r"""(src|href)=["']https?://""", template.read_text())
    ]
    assert not offenders


def test_vendored_versions_are_recorded():
    versions = (Path(finders.find("vendor/VERSIONS.txt"))).read_text()
    for package in ("bootstrap ", "htmx.org ", "chart.js ", "chartjs-plugin-annotation ", "axe-core "):
        assert re.search(rf"^{re.escape(package)}\d+\.\d+\.\d+ sha512-", versions, re.M), package
