"""The Patient Global Impression of Change: asked from week 1 on, online and on paper; saved, audited in
words, shown to clinical staff; in the report and its CSV (docs/clinical-rules.md, "Patient global
impression of change")."""

import csv
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from clinic.audit import readable_changes
from outcomes.models import PGIC_QUESTION, Pgic, Questionnaire
from outcomes.report import clinic_pgic
from outcomes.scoring import pgic_asked, pgic_much_improved
from outcomes.summary import refresh_outcomes
from tests.factories import SessionFactory, TreatmentPlanFactory, UserFactory, questionnaire_data
from tests.outcomes.test_questionnaires import FORM, answer_steps, open_form

VALIDATED_LABELS = [
    "Very much improved",
    "Much improved",
    "Minimally improved",
    "No change",
    "Minimally worse",
    "Much worse",
    "Very much worse",
]


# --- the rules ------------------------------------------------------------------------------


def test_the_seven_answers_are_the_validated_wording_in_order():
    assert [(choice.value, choice.label) for choice in Pgic] == list(enumerate(VALIDATED_LABELS, start=1))
    assert PGIC_QUESTION == "Since the start of my treatment at this clinic, my overall status is:"


@pytest.mark.parametrize(("week", "asked"), [(0, False), (1, True), (4, True), (12, True)])
def test_asked_from_week_1_never_at_the_baseline(week, asked):
    assert pgic_asked(week) is asked


@pytest.mark.parametrize(
    ("answer", "improved"), [(1, True), (2, True), (3, False), (4, False), (7, False), (None, False)]
)
def test_much_or_very_much_improved(answer, improved):
    assert pgic_much_improved(answer) is improved


# --- online ---------------------------------------------------------------------------------


def test_the_weekly_form_asks_it_from_week_1_as_large_radio_options_in_a_fieldset(client, questionnaire):
    open_form(client, questionnaire)
    answer_steps(client, "pain", "odi")
    html = client.get(FORM).content.decode()
    assert '<fieldset class="question" id="q-pgic">' in html
    assert f"<legend>{PGIC_QUESTION}</legend>" in html
    for value, label in enumerate(VALIDATED_LABELS, start=1):
        assert f'value="{value}"' in html and f"<span>{label}</span>" in html
    assert "Step 4 of 4: the last questions" in html and ">Overall change</h2>" in html


def test_the_baseline_does_not_ask_it(client, plan):
    baseline = Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=timezone.localdate(), week=0)
    open_form(client, baseline)
    page = client.get(FORM)
    assert PGIC_QUESTION not in page.content.decode()
    # Posted anyway (a tampered form), it is not a question of this week: nothing stored.
    page = client.post(FORM, questionnaire_data(pgic=1))
    assert page.status_code == 200 and "Thank you" in page.content.decode()
    baseline.refresh_from_db()
    assert baseline.is_submitted and baseline.pgic is None


def test_week_1_asks_it_on_the_last_step_and_week_0_does_not(client, plan):
    baseline = Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=timezone.localdate(), week=0)
    open_form(client, baseline)
    answer_steps(client, "pain", "odi", pgic=None)
    assert PGIC_QUESTION not in client.get(FORM).content.decode()
    week1 = Questionnaire.objects.create(
        patient=plan.patient, plan=plan, due_date=timezone.localdate() - timedelta(days=1), week=1
    )
    open_form(client, week1)
    answer_steps(client, "pain", "odi")
    assert PGIC_QUESTION in client.get(FORM).content.decode()


def test_a_missing_answer_is_refused_beside_the_field_and_everything_else_kept(client, questionnaire):
    open_form(client, questionnaire)
    page = client.post(FORM, questionnaire_data(pgic=None, leg_pain_now="8"))
    assert page.status_code == 400
    form = page.context["form"]
    assert set(form.errors) == {"pgic"}
    assert form.errors["pgic"] == ["Please choose an answer."]
    html = page.content.decode()
    assert '<fieldset class="question has-error" id="q-pgic" aria-describedby="id_pgic_error">' in html
    assert form.data["leg_pain_now"] == "8" and "checked" in html  # the other answers shown as given
    questionnaire.refresh_from_db()
    assert not questionnaire.is_submitted


@pytest.mark.parametrize("value", ["0", "8", "x", "-1", "2.5"])
def test_an_answer_out_of_range_is_refused_with_a_message_never_an_error_page(client, questionnaire, value):
    open_form(client, questionnaire)
    page = client.post(FORM, questionnaire_data(pgic=value))
    assert page.status_code == 400
    assert "not one of the choices" in page.context["form"].errors["pgic"][0]
    assert page.context["form"].data["back_pain_now"] == "4"
    questionnaire.refresh_from_db()
    assert not questionnaire.is_submitted and questionnaire.pgic is None


def test_the_answer_is_saved_and_its_audit_entry_reads_in_words(client, questionnaire):
    open_form(client, questionnaire)
    page = client.post(FORM, questionnaire_data(pgic=2))
    assert page.status_code == 200 and "Thank you" in page.content.decode()
    questionnaire.refresh_from_db()
    assert (questionnaire.pgic, questionnaire.get_pgic_display()) == (2, "Much improved")
    entry = LogEntry.objects.get_for_object(questionnaire).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert ("Global impression of change (PGIC)", "—", "Much improved") in readable_changes(entry)


def test_the_database_refuses_an_answer_out_of_range(questionnaire):
    with pytest.raises(IntegrityError), transaction.atomic():
        Questionnaire.objects.filter(pk=questionnaire.pk).update(pgic=8)
    with pytest.raises(IntegrityError), transaction.atomic():
        Questionnaire.objects.filter(pk=questionnaire.pk).update(pgic=0)


# --- on paper -------------------------------------------------------------------------------


def paper(client, plan, due: date, **data):
    url = reverse("outcomes:questionnaire-create", args=[plan.patient.pk])
    return client.post(url, questionnaire_data(due_date=due.isoformat(), **data))


def test_the_paper_form_shows_the_question_with_its_legend(desk_client, plan):
    html = desk_client.get(reverse("outcomes:questionnaire-create", args=[plan.patient.pk])).content.decode()
    assert "<legend>Patient global impression of change (PGIC)" in html
    assert PGIC_QUESTION in html and "Very much worse" in html


def test_a_week_1_paper_form_saves_the_answer(desk_client, plan):
    due = plan.start_date + timedelta(days=7)
    assert paper(desk_client, plan, due, pgic=1).status_code == 302
    saved = Questionnaire.objects.get(patient=plan.patient, due_date=due)
    assert (saved.week, saved.pgic) == (1, 1)


def test_a_week_1_paper_form_without_it_is_refused_beside_the_field_and_kept(desk_client, plan):
    due = plan.start_date + timedelta(days=7)
    page = paper(desk_client, plan, due, pgic=None, leg_pain_now="9")
    assert page.status_code == 200
    form = page.context["form"]
    assert set(form.errors) == {"pgic"} and "asked from week 1 on" in form.errors["pgic"][0]
    assert form.data["leg_pain_now"] == "9"
    assert not Questionnaire.objects.filter(patient=plan.patient, due_date=due, submitted_at__isnull=False).exists()


def test_a_paper_baseline_is_saved_without_it_and_refuses_one(desk_client, plan):
    page = paper(desk_client, plan, plan.start_date, pgic=3)
    assert page.status_code == 200
    assert "baseline (week 0) does not ask this" in page.context["form"].errors["pgic"][0]
    assert paper(desk_client, plan, plan.start_date, pgic=None).status_code == 302
    baseline = Questionnaire.objects.get(patient=plan.patient, due_date=plan.start_date)
    assert (baseline.week, baseline.pgic, baseline.odi_score) == (0, None, 40)


@pytest.mark.parametrize("value", ["0", "8", "x"])
def test_a_paper_answer_out_of_range_is_refused(desk_client, plan, value):
    page = paper(desk_client, plan, plan.start_date + timedelta(days=7), pgic=value)
    assert page.status_code == 200
    assert "not one of the choices" in page.context["form"].errors["pgic"][0]


# --- the staff questionnaire page -----------------------------------------------------------


def test_the_questionnaire_page_shows_it_to_clinical_staff(lac_client, desk_client, questionnaire):
    Questionnaire.objects.filter(pk=questionnaire.pk).update(pgic=3, submitted_at=timezone.now(), odi_score=30)
    url = reverse("outcomes:questionnaire-detail", args=[questionnaire.pk])
    html = lac_client.get(url).content.decode()
    assert '<td data-testid="pgic">Minimally improved <span class="text-secondary">(3 of 7)</span></td>' in html
    assert desk_client.get(url).status_code == 403  # the front desk reads no answers


# --- the report -----------------------------------------------------------------------------


def noon(day: date):
    return timezone.make_aware(datetime.combine(day, time(12)))


def course(practitioner, start: date, answers):
    """A course with a baseline (ODI 40) and a week-8 ODI (20); answers: (week, pgic) of other weekly forms."""
    plan = TreatmentPlanFactory(practitioner=practitioner, start_date=start)
    SessionFactory(plan=plan, started_at=noon(start + timedelta(days=1)), points=[])
    rows = [(0, 40, None), (8, 20, None), *[(week, 30, pgic) for week, pgic in answers]]
    for week, odi, pgic in rows:
        due = start + timedelta(weeks=week, days=1 if week == 8 and pgic is None else 0)
        Questionnaire.objects.create(
            patient=plan.patient, plan=plan, due_date=due, week=week, odi_score=odi, pgic=pgic, submitted_at=noon(due)
        )
    refresh_outcomes([plan.pk])
    return plan


@pytest.fixture
def courses(acupuncturist):
    other = UserFactory(username="lac2", role="Acupuncturist")
    return {
        # Latest answers 1, 3, 2: two of three "much" or "very much improved".
        "a": course(acupuncturist, date(2026, 1, 5), [(2, 4), (6, 1)]),  # got better: the latest counts
        "b": course(acupuncturist, date(2026, 2, 2), [(2, 1), (6, 3)]),  # the latest, not the best
        "c": course(acupuncturist, date(2026, 3, 2), [(4, 2)]),
        "none": course(acupuncturist, date(2026, 3, 9), []),  # never answered: not among those answering
        "other": course(other, date(2026, 3, 16), [(3, 7)]),
        "lac2": other,
    }


def test_the_share_much_or_very_much_improved(courses):
    whole = clinic_pgic()
    assert (whole.much_improved, whole.answered) == (2, 4)  # 1, 3, 2 and the other practitioner's 7
    assert whole.percent == Decimal("50.0")
    mine = clinic_pgic(practitioner=courses["a"].practitioner)
    assert (mine.much_improved, mine.answered, mine.percent) == (2, 3, Decimal("66.7"))
    assert clinic_pgic(start=date(2026, 3, 1)).answered == 2  # c and the other practitioner's


def test_an_unanswered_later_questionnaire_leaves_the_latest_answer(courses):
    plan = courses["c"]
    Questionnaire.objects.create(
        patient=plan.patient, plan=plan, due_date=date(2026, 3, 2) + timedelta(weeks=5), week=5, odi_score=25
    )  # due, not answered
    mine = clinic_pgic(practitioner=plan.practitioner)
    assert (mine.much_improved, mine.answered) == (2, 3)


def test_the_report_page_and_its_csv(manager_client, courses, django_assert_max_num_queries):
    query = {"practitioner": courses["a"].practitioner.pk}
    with django_assert_max_num_queries(16):
        page = manager_client.get(reverse("outcomes:report"), query)
    html = page.content.decode()
    assert '<td class="text-end" data-testid="pgic-much-improved">66.7 % (2 of 3)</td>' in html
    response = manager_client.get(reverse("outcomes:report-csv"), query)
    rows = list(csv.DictReader(response.content.decode().splitlines()))
    by_chart = {row["chart number"]: row["latest PGIC"] for row in rows}
    assert by_chart == {
        courses["a"].patient.chart_number: "Very much improved",
        courses["b"].patient.chart_number: "Minimally improved",
        courses["c"].patient.chart_number: "Much improved",
        courses["none"].patient.chart_number: "",
    }


def test_no_answer_shows_a_dash(manager_client, db):
    html = manager_client.get(reverse("outcomes:report")).content.decode()
    assert '<td class="text-end" data-testid="pgic-much-improved">—</td>' in html
