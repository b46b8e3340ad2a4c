from django.urls import reverse

from tests.factories import PatientFactory


def test_dashboard_shows_its_panels(desk_client):
    body = desk_client.get(reverse("dashboard")).content.decode()
    for panel in ("Open red flags", "Overdue questionnaires", "Recent sessions", "Plan reviews due"):
        assert panel in body


def test_dashboard_query_count_does_not_grow(lac_client, django_assert_max_num_queries, db):
    PatientFactory.create_batch(3)
    with django_assert_max_num_queries(15):
        lac_client.get(reverse("dashboard"))
    PatientFactory.create_batch(30)
    with django_assert_max_num_queries(15):
        lac_client.get(reverse("dashboard"))


def test_chart_query_count_is_bounded(desk_client, patient, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        desk_client.get(reverse("patient-detail", args=[patient.pk]))
