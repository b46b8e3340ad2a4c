"""Every admin page a superuser may open renders: its widgets' templates exist only for Django's
template language, while the app's forms render theirs through Jinja2 (clinic.renderers)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import SessionFactory

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.mark.parametrize("model", MODELS, ids=[model._meta.label for model in MODELS])
def test_admin_list_add_and_change_pages_render(admin_client, model):
    SessionFactory()  # a patient, intake, plan, session and points to list and open
    info = model._meta.app_label, model._meta.model_name
    for page in ("changelist", "add"):
        response = admin_client.get(reverse("admin:{}_{}_{}".format(*info, page)))
        assert response.status_code in (200, 403), page  # 403: the admin refuses to add this model
    first = model._default_manager.order_by("pk").first()
    if first is not None:
        response = admin_client.get(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
        assert response.status_code == 200
