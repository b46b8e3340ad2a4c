"""The progress report of a course of care: what it says, who may write and read it, the audit trail, a plan
with little or nothing to report, and its queries."""

from datetime import datetime, time, timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.fields import Source
from clinic.models import Location, StaffProfile
from outcomes import scoring
from outcomes.chart import patient_outcomes
from outcomes.models import Questionnaire
from records.models import ProgressReport
from records.progress import progress_report
from records.services import issue_progress_report
from scheduling.models import Appointment
from tests.documents import pdf_text
from tests.factories import SessionFactory, TreatmentPlanFactory

ASSESSMENT = "Leg pain and function improved steadily; two further sessions to consolidate, then discharge."


def at(day, hour=9):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def answer(plan, week, odi, back=None, leg=None, *, hour=8):
    due = plan.start_date + timedelta(weeks=week)
    return Questionnaire.objects.create(
        patient=plan.patient,
        plan=plan,
        due_date=due,
        week=week,
        odi_score=odi,
        back_pain_now=back,
        leg_pain_now=leg,
        submitted_at=at(due, hour),
        answered_on=due,
        source=Source.ONLINE,
    )


def make_plan(acupuncturist, *, sessions=0, weeks=(), start_days_ago=70):
    start = timezone.localdate() - timedelta(days=start_days_ago)
    plan = TreatmentPlanFactory(
        practitioner=acupuncturist, start_date=start, diagnosis_codes=["M54.42", "M51.16"], planned_sessions=10
    )
    for n in range(sessions):
        SessionFactory(plan=plan, started_at=at(start + timedelta(days=3 * n), 10), points=["BL23"])
    for week, odi, back, leg in weeks:
        answer(plan, week, odi, back, leg)
    return plan


@pytest.fixture
def course(acupuncturist):
    """Eight sessions; ODI 48 → 30 → 26, back pain 7 → 3, leg pain 8 → 3; the baseline before the first needle."""
    return make_plan(acupuncturist, sessions=8, weeks=[(0, 48, 7, 8), (4, 30, 4, 5), (7, 26, 3, 3)])


def issue(plan, user, **fields):
    values = {"assessment": ASSESSMENT, "recipient": "payer", "recipient_name": "Acme Health, auth 77-1", **fields}
    return issue_progress_report(plan=plan, user=user, **values)


def test_the_acupuncturist_writes_it_and_the_pdf_holds_the_patients_scores(lac_client, course, acupuncturist):
    StaffProfile.objects.filter(user=acupuncturist).update(
        credentials="L.Ac.", licence_state="IL", licence_number="AC-1234", npi="1234567893"
    )
    url = reverse("records:progress-report-create", args=[course.pk])
    response = lac_client.post(
        url, {"recipient": "payer", "recipient_name": "Acme Health, auth 77-1", "assessment": ASSESSMENT}
    )
    report = ProgressReport.objects.get()
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    assert (report.plan, report.patient, report.author) == (course, course.patient, acupuncturist)
    text = pdf_text(lac_client.get(reverse("records:progress-report-pdf", args=[report.pk])))
    assert "Progress report" in text and course.patient.full_name in text and course.patient.chart_number in text
    assert "M54.42 Lumbago with sciatica, left side" in text
    assert "M51.16 Intervertebral disc disorders with radiculopathy, lumbar region" in text
    assert "Walk 30 minutes without leg pain" in text  # the plan's goals
    assert "8 of 10 planned sessions attended" in text
    first, last = course.start_date, course.start_date + timedelta(days=21)
    assert f"{first:%b} {first.day}, {first.year} to {last:%b} {last.day}, {last.year}" in text
    # The scores, each questionnaire's and baseline against latest, with their scales named.
    assert "ODI 2.1a): 0-100 %" in text and "numeric rating scale (NRS) 0-10" in text
    assert "a drop of 10 points or 30 % of the baseline" in text
    for score in ("48", "30", "26"):
        assert f" {score} " in text
    assert "-22 points (-45.8 %)" in text and "-4 points (-57.1 %)" in text and "-5 points (-62.5 %)" in text
    assert "Responder: yes." in text
    assert "an ODI of 38 % or lower is a meaningful change" in text
    assert ASSESSMENT in text
    assert "Wei Chen, L.Ac.; licence IL AC-1234; NPI 1234567893" in text and "Signature:" in text
    assert "Acme Health, auth 77-1" in text


def test_change_and_responder_status_are_the_charts(course, acupuncturist):
    data = progress_report(issue(course, acupuncturist))
    chart = patient_outcomes(course.patient)["summary"]
    assert data.summary.change == chart.change == scoring.change(48, 26)
    assert data.summary.responder is chart.responder is scoring.is_responder(48, 26) is True
    assert data.summary.meaningful_threshold == chart.meaningful_threshold == 38
    assert data.summary.baseline_before_treatment is chart.baseline_before_treatment is True
    leg = next(m for m in data.measures if m.name.startswith("Leg"))
    assert (leg.points, leg.meaningful) == (chart.leg_pain.points, chart.leg_pain.meaningful) == (-5, True)


def test_a_non_responder_is_said_to_be_one(acupuncturist):
    plan = make_plan(acupuncturist, sessions=6, weeks=[(0, 40, 6, 6), (6, 34, 5, 6)])
    data = progress_report(issue(plan, acupuncturist))
    assert scoring.is_responder(40, 34) is False
    assert data.responder_text.startswith("Responder: not yet. The ODI changed -6 points (-15.0 %)")


def test_a_worsening_is_called_one(acupuncturist):
    plan = make_plan(acupuncturist, sessions=6, weeks=[(0, 30, 5, 5), (6, 38, 6, 6)])
    text = progress_report(issue(plan, acupuncturist)).responder_text
    assert text == "Responder: no. The ODI worsened by 8 points from the baseline (higher is more disability)."


def test_the_top_band_is_bed_bound_never_exaggerating(acupuncturist):
    plan = make_plan(acupuncturist, sessions=2, weeks=[(0, 86, 9, 9), (1, 70, 8, 8)])
    data = progress_report(issue(plan, acupuncturist))
    assert [row.band for row in data.rows] == ["Bed-bound", "Crippling back pain"]


def test_a_report_prints_the_same_again_after_the_plan_and_the_author_change(course, acupuncturist):
    report = issue(course, acupuncturist)
    before = progress_report(ProgressReport.objects.get(pk=report.pk))
    course.diagnosis_codes, course.goals, course.status = ["M54.50"], "Something else", "completed"
    course.save()
    StaffProfile.objects.filter(user=acupuncturist).update(licence_number="AC-9999")
    # A session logged after the report, dated before it: not on the report as issued.
    SessionFactory(plan=course, started_at=report.created_at - timedelta(hours=1), points=["BL23"])
    after = progress_report(ProgressReport.objects.get(pk=report.pk))
    assert (
        after.diagnoses
        == before.diagnoses
        == [
            ("M54.42", "Lumbago with sciatica, left side"),
            ("M51.16", "Intervertebral disc disorders with radiculopathy, lumbar region"),
        ]
    )
    assert (after.goals, after.plan_status, after.licence) == (before.goals, before.plan_status, before.licence)
    assert after.licence and not after.licence.endswith("AC-9999") and after.plan_status == "Active"
    assert after.sessions_attended == before.sessions_attended == 8


def test_the_html_page_is_print_ready_with_the_chart(lac_client, course, acupuncturist):
    report = issue(course, acupuncturist)
    page = lac_client.get(report.get_absolute_url()).content.decode()
    assert "<h1" in page and "Progress report" in page and "Responder: yes." in page
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and "polyline" in page
    assert reverse("records:progress-report-pdf", args=[report.pk]) in page
    assert "Acme Health, auth 77-1" in page and ASSESSMENT in page


def test_the_report_counts_as_of_its_issue(lac_client, course, acupuncturist):
    report = issue(course, acupuncturist)
    later = answer(course, 9, 12, 1, 1)
    Questionnaire.objects.filter(pk=later.pk).update(submitted_at=timezone.now() + timedelta(minutes=5))
    SessionFactory(plan=course, started_at=timezone.now() + timedelta(minutes=5))
    data = progress_report(ProgressReport.objects.get(pk=report.pk))
    assert [row.week for row in data.rows] == [0, 4, 7]
    assert data.sessions_attended == 8 and data.summary.latest.odi_score == 26


def test_no_shows_come_from_the_schedule(lac_client, course, acupuncturist):
    for n, status in enumerate(["completed", "completed", "no_show"]):
        Appointment.objects.create(
            patient=course.patient,
            practitioner=acupuncturist,
            plan=course,
            start=at(course.start_date + timedelta(days=3 * n), 10),
            minutes=60,
            booked_by=acupuncturist,
            status=status,
        )
    data = progress_report(issue(course, acupuncturist))
    assert "of 3 booked visits due, 2 attended, 1 no-show (adherence 67 %)" in data.attendance
    plain = progress_report(issue(make_plan(acupuncturist, sessions=1), acupuncturist))
    assert "no-shows are not recorded" in plain.attendance


@pytest.mark.parametrize(
    ("sessions", "weeks", "said"),
    [
        (0, [], ["No treatment session has been logged", "No outcome questionnaire has been answered"]),
        (2, [(0, 44, 6, 7)], ["Only the baseline questionnaire has been answered"]),
        (4, [(3, 30, 4, 4), (5, 24, 3, 3)], ["No baseline: no ODI was scored in week 0 or 1"]),
        (3, [(0, None, 5, 6)], ["No answered questionnaire has an ODI score"]),
    ],
    ids=["nothing", "only-baseline", "no-baseline", "unscored"],
)
def test_a_plan_with_little_to_report_gets_a_smaller_valid_report(lac_client, acupuncturist, sessions, weeks, said):
    plan = make_plan(acupuncturist, sessions=sessions, weeks=weeks)
    assert lac_client.get(reverse("records:progress-report-create", args=[plan.pk])).status_code == 200
    report = issue(plan, acupuncturist)
    text = pdf_text(lac_client.get(reverse("records:progress-report-pdf", args=[report.pk])))
    page = lac_client.get(report.get_absolute_url())
    assert page.status_code == 200
    assert "Responder status: not assessable yet" in text
    for line in said:
        assert line in text and line in page.content.decode()


def test_a_baseline_after_the_first_needle_is_flagged(acupuncturist):
    plan = make_plan(acupuncturist, sessions=3)
    answer(plan, 0, 40, 6, 6, hour=18)  # the evening after the morning's session
    answer(plan, 4, 20, 2, 2)
    data = progress_report(issue(plan, acupuncturist))
    assert data.summary.baseline_before_treatment is False
    assert any("answered after treatment had begun" in line for line in data.notes)


def test_the_form_keeps_what_was_typed_and_says_what_is_wrong(lac_client, course):
    url = reverse("records:progress-report-create", args=[course.pk])
    response = lac_client.post(
        url, {"recipient": "physician", "recipient_name": "Dr. Okafor, Northside", "assessment": "ok"}
    )
    page = response.content.decode()
    assert response.status_code == 400 and not ProgressReport.objects.exists()
    assert "The report was not issued" in page and "at least 20 characters" in page
    assert 'value="Dr. Okafor, Northside"' in page and "\nok</textarea>" in page
    assert 'value="physician" selected' in page


def test_an_issued_report_cannot_be_changed_or_deleted(course, acupuncturist):
    report = issue(course, acupuncturist)
    report.assessment = "Something else."
    with pytest.raises(ValidationError):
        report.save()
    with pytest.raises(ValidationError):
        report.delete()
    assert ProgressReport.objects.get().assessment == ASSESSMENT


def test_access_by_role(desk_client, lac_client, manager_client, course, acupuncturist):
    report = issue(course, acupuncturist)
    create = reverse("records:progress-report-create", args=[course.pk])
    for url in (create, report.get_absolute_url(), reverse("records:progress-report-pdf", args=[report.pk])):
        assert desk_client.get(url).status_code == 403
    assert desk_client.post(create, {"recipient": "payer", "assessment": ASSESSMENT}).status_code == 403
    assert manager_client.post(create, {"recipient": "payer", "assessment": ASSESSMENT}).status_code == 403
    assert manager_client.get(report.get_absolute_url()).status_code == 200
    assert manager_client.get(reverse("records:progress-report-pdf", args=[report.pk])).status_code == 200
    assert ProgressReport.objects.count() == 1


def test_another_locations_report_is_not_found(lac_client, acupuncturist, course):
    report = issue(course, acupuncturist)
    branch = Location.objects.create(name="Riverside")
    StaffProfile.objects.get(user=acupuncturist).locations.set([Location.objects.exclude(pk=branch.pk).get()])
    course.patient.location = branch
    course.patient.save()
    assert lac_client.get(report.get_absolute_url()).status_code == 404
    assert lac_client.get(reverse("records:progress-report-pdf", args=[report.pk])).status_code == 404
    assert lac_client.get(reverse("records:progress-report-create", args=[course.pk])).status_code == 404
    assert lac_client.get(reverse("records:progress-report-pdf", args=[424242])).status_code == 404


def test_the_report_names_the_patients_location(lac_client, acupuncturist, course):
    branch = Location.objects.create(name="Riverside", address="9 River Rd, Springfield", phone="217-555-0300")
    course.patient.location = branch
    course.patient.save()
    StaffProfile.objects.get(user=acupuncturist).locations.add(branch)
    report = issue(course, acupuncturist)
    text = pdf_text(lac_client.get(reverse("records:progress-report-pdf", args=[report.pk])))
    assert "Riverside" in text and "9 River Rd, Springfield" in text and "217-555-0300" in text


def test_writing_is_audited_and_every_copy_is_a_disclosure(lac_client, manager_client, manager, acupuncturist, course):
    lac_client.post(
        reverse("records:progress-report-create", args=[course.pk]),
        {"recipient": "physician", "recipient_name": "Dr. Okafor", "assessment": ASSESSMENT},
    )
    report = ProgressReport.objects.get()
    created = LogEntry.objects.get(action=LogEntry.Action.CREATE, object_repr=str(report))
    assert created.actor == acupuncturist and created.additional_data["patient_id"] == course.patient_id
    assert not LogEntry.objects.filter(object_repr__startswith="Progress report (").exists()
    lac_client.get(report.get_absolute_url())
    manager_client.get(reverse("records:progress-report-pdf", args=[report.pk]))
    entries = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_repr__startswith="Progress report (")
    assert [(e.actor, e.object_repr.split(":")[0]) for e in entries.order_by("pk")] == [
        (acupuncturist, "Progress report (printable page)"),
        (manager, "Progress report (PDF)"),
    ]
    for entry in entries:
        assert entry.object_id == report.pk
        assert entry.additional_data["patient_id"] == course.patient_id
        assert entry.additional_data["disclosed_to"] == "Dr. Okafor"


def test_a_refused_read_is_not_a_disclosure(desk_client, course, acupuncturist):
    report = issue(course, acupuncturist)
    desk_client.get(reverse("records:progress-report-pdf", args=[report.pk]))
    assert not LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, object_repr__startswith="Progress report"
    ).exists()


def test_the_plan_page_links_to_it_for_those_allowed(lac_client, manager_client, course, acupuncturist):
    report = issue(course, acupuncturist)
    create = reverse("records:progress-report-create", args=[course.pk])
    page = lac_client.get(course.get_absolute_url()).content.decode()
    assert create in page and report.get_absolute_url() in page
    page = manager_client.get(course.get_absolute_url()).content.decode()
    assert create not in page and report.get_absolute_url() in page


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_queries_are_bounded_and_do_not_grow_with_the_course(lac_client, acupuncturist, django_assert_max_num_queries):
    small = issue(make_plan(acupuncturist, sessions=2, weeks=[(0, 50, 7, 7), (1, 46, 6, 6)]), acupuncturist)
    weeks = [(w, 50 - 3 * w, 7, 7) for w in range(10)]
    large = issue(make_plan(acupuncturist, sessions=12, weeks=weeks), acupuncturist)
    lac_client.get(reverse("records:progress-report-detail", args=[small.pk]))  # the first request warms caches
    for name in ("records:progress-report-pdf", "records:progress-report-detail"):
        assert _queries(lac_client, reverse(name, args=[small.pk])) == _queries(
            lac_client, reverse(name, args=[large.pk])
        )
        with django_assert_max_num_queries(14):
            lac_client.get(reverse(name, args=[large.pk]))
    create = "records:progress-report-create"
    assert _queries(lac_client, reverse(create, args=[small.plan_id])) == _queries(
        lac_client, reverse(create, args=[large.plan_id])
    )
