"""Course of care: plans, progress, reviews at session 4 and at the end."""

import re
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import IntakeFactory, SessionFactory, TreatmentPlanFactory
from treatments.models import TreatmentPlan


def plan_data(**overrides):
    return {
        "diagnosis_codes": "m5416, M54.50",
        "tcm_pattern": "blood_stagnation",
        "planned_sessions": "10",
        "frequency": "Twice weekly for 3 weeks, then weekly",
        "start_date": "2026-11-02",
        "goals": "Sit through a work day; ODI under 20.",
        **overrides,
    }


def test_create_a_plan(lac_client, acupuncturist):
    patient = IntakeFactory().patient
    response = lac_client.post(reverse("treatments:plan-create", args=[patient.pk]), plan_data())
    plan = TreatmentPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == plan.get_absolute_url()
    assert plan.diagnosis_codes == ["M54.16", "M54.50"]
    assert (plan.patient, plan.practitioner, plan.status) == (patient, acupuncturist, "active")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"diagnosis_codes": "M54.5"}, "diagnosis_codes", "deleted in October 2021"),
        ({"diagnosis_codes": "sciatica"}, "diagnosis_codes", "not an ICD-10-CM code"),
        ({"diagnosis_codes": ""}, "diagnosis_codes", "at least one ICD-10-CM code"),
        ({"planned_sessions": "0"}, "planned_sessions", "greater than or equal to 1"),
        ({"planned_sessions": "61"}, "planned_sessions", "less than or equal to 60"),
        ({"start_date": "2026-02-30"}, "start_date", "valid date"),
        ({"tcm_pattern": "wind"}, "tcm_pattern", "valid choice"),
    ],
)
def test_bad_plan_input_is_shown_beside_the_field(lac_client, patient, overrides, field, message):
    response = lac_client.post(reverse("treatments:plan-create", args=[patient.pk]), plan_data(**overrides))
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert form.data["goals"] == "Sit through a work day; ODI under 20."
    assert not TreatmentPlan.objects.exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "M54.41, M54.50",
            "M54.41 and M54.50 cannot be billed together: ICD-10-CM Excludes1 at M54.5 (low back pain) excludes "
            "lumbago with sciatica (M54.4-).",
        ),
        (
            "m5116 M54.17",
            "M51.16 and M54.17 cannot be billed together: ICD-10-CM Excludes1 at M54.1 (radiculopathy) excludes "
            "radiculopathy with lumbar and other intervertebral disc disorder (M51.1-).",
        ),
        (
            "M54.59, M54.32, M54.42",
            "M54.32 and M54.42 cannot be billed together: ICD-10-CM Excludes1 at M54.3 (sciatica) excludes "
            "sciatica with lumbago (M54.4-).",
        ),
    ],
)
def test_codes_an_excludes1_note_forbids_together_are_refused_beside_the_field(lac_client, patient, typed, message):
    response = lac_client.post(reverse("treatments:plan-create", args=[patient.pk]), plan_data(diagnosis_codes=typed))
    assert response.status_code == 200
    form = response.context["form"]
    assert message in form.errors["diagnosis_codes"]
    assert form.data["diagnosis_codes"] == typed  # the typed text is kept, to correct
    assert f'value="{typed}"' in response.content.decode()
    assert not TreatmentPlan.objects.exists()


def test_an_edit_that_adds_an_excluded_code_is_refused(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, diagnosis_codes=["M54.41"])
    data = plan_data(diagnosis_codes="M54.41, M51.16", status="active", version=plan.version)
    response = lac_client.post(reverse("treatments:plan-update", args=[plan.pk]), data)
    assert response.status_code == 200
    assert "Excludes1 at M54.4 (lumbago with sciatica)" in " ".join(response.context["form"].errors["diagnosis_codes"])
    plan.refresh_from_db()
    assert plan.diagnosis_codes == ["M54.41"]


def test_codes_no_excludes1_note_names_together_are_accepted(lac_client, patient):
    response = lac_client.post(
        reverse("treatments:plan-create", args=[patient.pk]),
        plan_data(diagnosis_codes="M54.31, M54.32, M54.50, M54.16"),
    )
    assert response.status_code == 302
    assert TreatmentPlan.objects.get().diagnosis_codes == ["M54.31", "M54.32", "M54.50", "M54.16"]


def test_common_codes_are_offered(lac_client, patient):
    page = lac_client.get(reverse("treatments:plan-create", args=[patient.pk])).content.decode()
    assert 'list="icd10-options"' in page
    assert "M54.50" in page and "M51.17" in page


def test_edit_a_plan_and_discontinue_it(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    response = lac_client.post(
        reverse("treatments:plan-update", args=[plan.pk]),
        plan_data(status="discontinued", planned_sessions="8", version=str(plan.version)),
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.planned_sessions) == ("discontinued", 8)


def test_progress_is_session_n_of_m(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, planned_sessions=12)
    for _ in range(5):
        SessionFactory(plan=plan)
    page = lac_client.get(plan.get_absolute_url()).content.decode()
    assert "5 of 12" in page


@pytest.mark.parametrize(
    ("sessions", "planned", "review_at_4", "due"),
    [
        (3, 10, False, ""),
        (4, 10, False, "Session 4 review"),
        (5, 10, False, "Session 4 review"),
        (5, 10, True, ""),
        (10, 10, True, "End-of-course review"),
        (10, 10, False, "End-of-course review"),
        (3, 3, False, "End-of-course review"),
    ],
)
def test_review_due(sessions, planned, review_at_4, due, acupuncturist):
    from django.utils import timezone

    plan = TreatmentPlanFactory(
        practitioner=acupuncturist, planned_sessions=planned, review_at_4=timezone.now() if review_at_4 else None
    )
    assert plan.review_due(sessions) == due
    for _ in range(sessions):
        SessionFactory(plan=plan, points=[])
    assert TreatmentPlan.objects.reviews_due().filter(pk=plan.pk).exists() == bool(due)


def test_a_finished_plan_asks_for_no_review(acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, planned_sessions=4, status="completed")
    assert plan.review_due(4) == ""


def test_recording_the_session_4_review_clears_it_from_the_dashboard(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    for _ in range(4):
        SessionFactory(plan=plan, points=[])
    assert "Session 4 review" in lac_client.get(reverse("pages:dashboard")).content.decode()
    response = lac_client.post(plan.get_absolute_url(), {"review": "4", "notes": "ODI down 12 points; continue."})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.review_at_4 is not None and "ODI down 12 points" in plan.review_notes
    assert not TreatmentPlan.objects.reviews_due().exists()


def test_the_manager_reads_but_cannot_review(manager_client, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    assert manager_client.get(plan.get_absolute_url()).status_code == 200
    response = manager_client.post(plan.get_absolute_url(), {"review": "4", "notes": "x"})
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.review_at_4 is None


def test_the_chart_shows_the_plan_progress_and_a_points_summary(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, planned_sessions=8)
    SessionFactory(plan=plan, points=["BL23", "GB30", "GB34"])
    page = lac_client.get(reverse("pages:patient-detail", args=[plan.patient.pk])).content.decode()
    assert "1 of 8" in page
    assert "BL23, GB30, GB34" in page


def test_plan_and_chart_pages_have_bounded_queries(lac_client, acupuncturist, django_assert_max_num_queries):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, planned_sessions=30)
    for _ in range(30):
        SessionFactory(plan=plan)
    # 16: one is the navigation's count of the acupuncturist's notes to sign.
    with django_assert_max_num_queries(16):
        lac_client.get(plan.get_absolute_url())
    with django_assert_max_num_queries(15):
        lac_client.get(reverse("pages:patient-detail", args=[plan.patient.pk]))
    with django_assert_max_num_queries(15):
        lac_client.get(reverse("pages:dashboard"))


# --- a refused review gives back what was chosen, with its message -------------------------------


@pytest.fixture
def plan_at_its_end(acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, planned_sessions=2)
    for _ in range(2):
        SessionFactory(plan=plan, points=[])
    return plan


@pytest.mark.parametrize("status", ["completed", "discontinued"])
def test_a_final_review_refused_keeps_the_status_chosen(lac_client, plan_at_its_end, status):
    response = lac_client.post(plan_at_its_end.get_absolute_url(), {"review": "final", "notes": "  ", "status": status})
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(rf'<option value="{status}" selected>', html)
    assert '<option value="" selected>' not in html
    assert "This field is required." in html
    plan_at_its_end.refresh_from_db()
    assert (plan_at_its_end.status, plan_at_its_end.final_review_at) == ("active", None)


def test_a_tampered_status_is_shown_beside_the_field(lac_client, plan_at_its_end):
    response = lac_client.post(plan_at_its_end.get_absolute_url(), {"review": "final", "notes": "ok", "status": "zzz"})
    html = response.content.decode()
    select = re.search(r'<select name="status".*?</select>\s*<div class="invalid-feedback d-block">([^<]*)', html, re.S)
    assert select and "Select a valid choice." in select.group(1)
    assert "is-invalid" in select.group()
    assert "ok</textarea>" in html
    assert TreatmentPlan.objects.get(pk=plan_at_its_end.pk).final_review_at is None


def test_a_tampered_review_kind_is_said(lac_client, plan_at_its_end):
    response = lac_client.post(plan_at_its_end.get_absolute_url(), {"review": "x", "notes": "ok", "status": ""})
    assert "The review was not recorded: Select a valid choice." in response.content.decode()
    assert TreatmentPlan.objects.get(pk=plan_at_its_end.pk).final_review_at is None


def test_a_final_review_records_the_status_chosen(lac_client, plan_at_its_end):
    page = lac_client.get(plan_at_its_end.get_absolute_url()).content.decode()
    assert '<option value="" selected>Keep active</option>' in page
    response = lac_client.post(
        plan_at_its_end.get_absolute_url(), {"review": "final", "notes": "Goals met.", "status": "completed"}
    )
    assert response.status_code == 302
    plan_at_its_end.refresh_from_db()
    assert plan_at_its_end.status == "completed" and plan_at_its_end.final_review_at is not None


# --- a plan's start date is a plausible one ------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("0001-01-01", "Check the year: a plan cannot start before 1900."),
        ("0202-10-01", "Check the year: a plan cannot start before 1900."),
        ("1899-12-31", "Check the year: a plan cannot start before 1900."),
        ("9999-12-31", "Check the year: a plan cannot start more than a year from today."),
    ],
)
def test_an_implausible_start_date_is_refused_beside_the_field(lac_client, patient, start, message):
    response = lac_client.post(reverse("treatments:plan-create", args=[patient.pk]), plan_data(start_date=start))
    assert response.status_code == 200
    assert response.context["form"].errors["start_date"] == [message]
    assert message in response.content.decode()
    assert not TreatmentPlan.objects.exists()


def test_start_dates_from_1900_to_a_year_ahead_are_accepted(lac_client, patient):
    ahead = (timezone.localdate() + timedelta(days=365)).isoformat()
    for start in ("1900-01-01", ahead):
        response = lac_client.post(reverse("treatments:plan-create", args=[patient.pk]), plan_data(start_date=start))
        assert response.status_code == 302, start


def test_a_plan_cannot_be_moved_to_start_after_its_first_session(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, start_date=date(2026, 10, 1))
    SessionFactory(plan=plan, started_at=timezone.make_aware(datetime(2026, 10, 5, 10)), points=[])
    url = reverse("treatments:plan-update", args=[plan.pk])
    later = plan_data(start_date="2026-10-06", status="active", version=str(plan.version))
    assert lac_client.post(url, later).context["form"].errors["start_date"] == [
        "The plan's first session was on Oct 5, 2026: the plan cannot start after it."
    ]
    assert lac_client.post(url, dict(later, start_date="2026-10-05")).status_code == 302


# --- no improvement by week 6: no silence (issue 14) -----------------------------------------------


def scored_week(plan, week: int, odi: int):
    """A scored questionnaire, and the plan's summary refreshed as the service that takes answers does."""
    from outcomes.models import Questionnaire
    from outcomes.summary import refresh_outcomes

    questionnaire = Questionnaire.objects.create(
        patient=plan.patient,
        plan=plan,
        due_date=plan.start_date + timedelta(weeks=week),
        week=week,
        odi_score=odi,
        submitted_at=timezone.now(),
    )
    refresh_outcomes([plan.pk])
    return questionnaire


@pytest.fixture
def stalled(acupuncturist):
    """Six weeks in, the ODI has moved from 44 to 40: 4 points and 9 %, not a meaningful change."""
    plan = TreatmentPlanFactory(practitioner=acupuncturist, planned_sessions=12, review_at_4=timezone.now())
    scored_week(plan, 0, 44)
    scored_week(plan, 6, 40)
    plan.refresh_from_db()
    return plan


def test_no_improvement_by_week_6_is_on_the_dashboard(lac_client, stalled):
    assert stalled.no_improvement and (stalled.latest_odi, stalled.latest_odi_week) == (40, 6)
    assert stalled.review_due(stalled.session_count) == "Review: no improvement by week 6"
    html = lac_client.get(reverse("pages:dashboard")).content.decode()
    assert 'Review: no improvement by week 6</a> <span class="text-secondary">(ODI 44 → 40 at week 6)' in html


def test_a_meaningful_change_by_week_6_asks_for_nothing(acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, review_at_4=timezone.now())
    scored_week(plan, 0, 44)
    scored_week(plan, 6, 34)
    plan.refresh_from_db()
    assert not plan.no_improvement
    assert not TreatmentPlan.objects.reviews_due().filter(pk=plan.pk).exists()


def test_recording_the_no_improvement_review_clears_it_and_may_end_the_plan(lac_client, stalled):
    page = lac_client.get(stalled.get_absolute_url()).content.decode()
    assert '<input type="hidden" name="review" value="no_improvement">' in page
    assert "Guidelines advise reassessing" in page and 'name="status"' in page
    notes = "No change by week 6: referred to spine clinic; plan discontinued."
    response = lac_client.post(
        stalled.get_absolute_url(), {"review": "no_improvement", "notes": notes, "status": "discontinued"}
    )
    assert response.status_code == 302
    stalled.refresh_from_db()
    assert stalled.no_improvement_review_at is not None and stalled.status == "discontinued"
    assert "Review: no improvement by week 6: No change by week 6" in stalled.review_notes
    assert "no improvement" not in lac_client.get(reverse("pages:dashboard")).content.decode()


def test_a_later_improvement_takes_the_plan_off_the_list(stalled):
    scored_week(stalled, 7, 30)
    stalled.refresh_from_db()
    assert not stalled.no_improvement
    assert not TreatmentPlan.objects.reviews_due().filter(pk=stalled.pk).exists()
