"""The notes-to-sign list and the navigation's count (issue 20)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import SessionFactory, TreatmentPlanFactory, UserFactory

URL = reverse("treatments:notes-to-sign")


def _notes(plan, days_ago: list[int]):
    return [SessionFactory(plan=plan, started_at=timezone.now() - timedelta(days=d), points=[]) for d in days_ago]


def _rows(html: str) -> list[str]:
    return re.findall(r'data-testid="note-to-sign">.*?</tr>', html, re.S)


def test_the_practitioner_sees_their_own_unsigned_notes_oldest_first(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    newer, older = _notes(plan, [1, 5])
    SessionFactory(plan=plan, signed=True, points=[])  # signed: not listed
    SessionFactory(plan=TreatmentPlanFactory(practitioner=UserFactory(first_name="Li", last_name="Na")))  # another's
    response = lac_client.get(URL)
    assert response.status_code == 200
    rows = _rows(response.content.decode())
    assert len(rows) == 2
    assert reverse("treatments:session-detail", args=[older.pk]) in rows[0]
    assert reverse("treatments:session-detail", args=[newer.pk]) in rows[1]
    assert f"{plan.patient.family_name}, {plan.patient.given_name}" in rows[0]
    assert "Review and sign" in rows[0]
    local = timezone.localtime(older.started_at)
    assert f"{local:%b} {local.day}, {local.year}" in rows[0]


def test_with_every_note_signed_the_list_says_so(lac_client, acupuncturist):
    SessionFactory(plan=TreatmentPlanFactory(practitioner=acupuncturist), signed=True)
    html = lac_client.get(URL).content.decode()
    assert not _rows(html) and "Every note of yours is signed." in html


def test_the_manager_follows_up_every_practitioners_unsigned_notes(manager_client, acupuncturist):
    mine = _notes(TreatmentPlanFactory(practitioner=acupuncturist), [2])
    other = UserFactory(first_name="Li", last_name="Na")
    theirs = _notes(TreatmentPlanFactory(practitioner=other), [3])
    html = manager_client.get(URL).content.decode()
    rows = _rows(html)
    assert len(rows) == 2
    assert "Li Na" in rows[0] and "Wei Chen" in rows[1]
    assert str(theirs[0].pk) in rows[0] and str(mine[0].pk) in rows[1]
    assert "Review and sign" not in html  # only the practitioner signs


def test_the_front_desk_may_not_open_the_list(desk_client):
    assert desk_client.get(URL).status_code == 403


def test_the_list_is_recorded_as_a_read_of_the_patients(lac_client, acupuncturist):
    from auditlog.models import LogEntry

    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    _notes(plan, [1])
    lac_client.get(URL)
    entry = LogEntry.objects.filter(additional_data__listed="Notes to sign").get()
    assert entry.additional_data["patient_ids"] == [plan.patient_id]


def _nav(html: str) -> str:
    return re.search(r'<a[^>]*data-testid="nav-notes-to-sign"[^>]*>(.*?)</a>', html, re.S).group(1)


def test_the_navigation_counts_the_practitioners_notes_to_sign(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    _notes(plan, [1, 2, 3])
    SessionFactory(plan=plan, signed=True, points=[])
    html = lac_client.get(reverse("pages:dashboard")).content.decode()
    assert 'data-testid="nav-notes-to-sign" aria-label="Notes to sign, 3">' in html  # what a screen reader reads
    assert re.sub(r"<[^>]+>|\s+", "", _nav(html)) == "Notestosign3"  # what the eye reads: the name and a badge


def test_no_count_without_notes_to_sign(lac_client):
    html = lac_client.get(reverse("pages:dashboard")).content.decode()
    assert "badge" not in _nav(html) and 'aria-label="Notes to sign' not in html


@pytest.mark.parametrize("role_client", ["front_desk", "manager"], indirect=True)
def test_who_signs_no_notes_gets_no_count_and_no_query(role_client, acupuncturist):
    _notes(TreatmentPlanFactory(practitioner=acupuncturist), [1])
    with CaptureQueriesContext(connection) as captured:
        html = role_client.get(reverse("clinic:patient-list")).content.decode()
    assert 'data-testid="nav-notes-to-sign"' not in html
    assert not [q for q in captured.captured_queries if "treatments_session" in q["sql"]]


def test_the_count_costs_one_query_whatever_the_number_of_notes(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    _notes(plan, [1])
    page = reverse("clinic:patient-list")
    lac_client.get(page)  # the session's cached readings settle
    with CaptureQueriesContext(connection) as few:
        lac_client.get(page)
    assert len([q for q in few.captured_queries if "treatments_session" in q["sql"]]) == 1
    _notes(plan, range(2, 30))
    with CaptureQueriesContext(connection) as many:
        html = lac_client.get(page).content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert ">29<" in _nav(html)


def test_the_list_stays_within_its_query_budget(lac_client, acupuncturist, django_assert_max_num_queries):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    _notes(plan, [1])
    with django_assert_max_num_queries(12) as few:
        lac_client.get(URL)
    _notes(plan, range(2, 60))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = lac_client.get(URL)
    assert len(_rows(response.content.decode())) == 50
    assert len(_rows(lac_client.get(URL, {"page": 2}).content.decode())) == 9


def test_the_managers_dashboard_leads_to_every_unsigned_note(manager_client, lac_client, acupuncturist):
    _notes(TreatmentPlanFactory(practitioner=acupuncturist), [1])
    assert f'href="{URL}">Every unsigned note</a>' in manager_client.get(reverse("pages:dashboard")).content.decode()
    # The practitioner has the navigation's link to their own instead.
    assert "Every unsigned note" not in lac_client.get(reverse("pages:dashboard")).content.decode()
