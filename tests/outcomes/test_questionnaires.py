"""The weekly questionnaire: the patient's link and form, scoring at submit, safety, paper entry."""

from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.links import issue_link
from intake.models import Alert, Referral
from outcomes.chart import axis_labels
from outcomes.models import Questionnaire
from tests.factories import SessionFactory, TreatmentPlanFactory, questionnaire_data, warning_sign_data

FORM = reverse("outcomes:patient-form")
WARNING_SIGNS = reverse("outcomes:patient-warning-signs")


def open_form(client: Client, questionnaire: Questionnaire, *, past_warning_signs: bool = True) -> str:
    """Open the patient's link; by default answer step 1 (the warning signs) 'no', so the form is at step 2."""
    _, token = issue_link(patient=questionnaire.patient, purpose="questionnaire", subject=questionnaire)
    opened = client.get(reverse("clinic:link-open", args=[token]))
    assert opened.status_code == 302 and opened["Location"] == FORM
    if past_warning_signs:
        step1 = client.post(WARNING_SIGNS, warning_sign_data())
        assert step1.status_code == 302 and step1["Location"] == FORM
    return token


def answer_steps(client: Client, *steps: str, **answers) -> None:
    """Answer steps of the form in turn ("pain", "odi", "rest"), with `questionnaire_data(**answers)`: each
    step posts the whole data and takes its own questions from it."""
    data = questionnaire_data(**answers)
    for step in steps:
        page = client.post(FORM, {**data, "step": step, "go": "next"})
        assert page.status_code in (200, 302), page.content.decode()


def test_the_patient_opens_the_link_and_sees_only_their_first_name(client, questionnaire):
    questionnaire.patient.family_name = "Quennell-Marsh"  # distinctive, so it cannot occur by chance in the form text
    questionnaire.patient.save()
    open_form(client, questionnaire)
    page = client.get(FORM)
    html = page.content.decode()
    assert page.status_code == 200
    assert f"Hello {questionnaire.patient.given_name}" in html
    assert questionnaire.patient.family_name not in html
    assert page["Cache-Control"].startswith("no-store")
    answer_steps(client, "pain")
    assert "Fairbank" in client.get(FORM).content.decode()  # the ODI copyright notice travels with the form


def test_submitting_scores_the_odi_and_spends_the_link(client, questionnaire):
    token = open_form(client, questionnaire)
    page = client.post(FORM, questionnaire_data())
    assert page.status_code == 200 and "Thank you" in page.content.decode()
    questionnaire.refresh_from_db()
    assert questionnaire.odi_score == 40  # 18 / 45
    assert (questionnaire.source, questionnaire.odi_version, questionnaire.leg_pain_now) == ("online", "2.1a", 5)
    assert questionnaire.is_submitted
    # The link works once; a reload shows the thank-you page, never the form again.
    assert client.get(FORM).status_code == 200
    assert "Thank you" in client.get(FORM).content.decode()
    assert Client().get(reverse("clinic:link-open", args=[token])).status_code == 404


def test_two_unanswered_sections_ask_for_them_and_keep_the_rest(client, questionnaire):
    open_form(client, questionnaire)
    data = questionnaire_data(odi=(2, 2, None, 2, 2, 2, 2, None, 2, 2))
    page = client.post(FORM, data)
    assert page.status_code == 400
    errors = page.context["form"].errors
    assert set(errors) == {"odi_lifting", "odi_sex_life"}
    assert "Only one section may be left blank" in errors["odi_lifting"][0]
    assert 'value="5" checked' in page.content.decode() or "checked" in page.content.decode()
    assert page.context["form"].data["leg_pain_now"] == "5"
    questionnaire.refresh_from_db()
    assert not questionnaire.is_submitted


@pytest.mark.parametrize(("field", "value"), [("odi_walking", "6"), ("odi_walking", "-1"), ("leg_pain_now", "11")])
def test_a_tampered_answer_is_rejected_with_a_message(client, questionnaire, field, value):
    open_form(client, questionnaire)
    page = client.post(FORM, questionnaire_data(**{field: value}))
    assert page.status_code == 400
    assert "not one of the choices" in page.context["form"].errors[field][0]
    questionnaire.refresh_from_db()
    assert not questionnaire.is_submitted


def test_an_unanswered_warning_sign_question_is_required(client, questionnaire):
    open_form(client, questionnaire, past_warning_signs=False)
    data = warning_sign_data()
    del data["bowel_incontinence"]
    page = client.post(WARNING_SIGNS, data)
    assert page.status_code == 400
    assert page.context["form"].errors["bowel_incontinence"] == ["Please choose an answer."]
    # The five answered are kept: the page shows them again, and the row holds them.
    assert page.context["form"].data["saddle_anaesthesia"] == "False"
    questionnaire.refresh_from_db()
    assert questionnaire.saddle_anaesthesia is False and questionnaire.bowel_incontinence is None


def test_a_double_submit_creates_one_questionnaire(client, questionnaire):
    open_form(client, questionnaire)
    first = client.post(FORM, questionnaire_data())
    second = client.post(FORM, questionnaire_data(odi=(5,) * 10))
    assert first.status_code == second.status_code == 200
    assert Questionnaire.objects.count() == 1
    questionnaire.refresh_from_db()
    assert questionnaire.odi_score == 40


def test_a_yes_to_a_warning_sign_shows_urgent_care_and_opens_a_referral(client, questionnaire, lac_client):
    open_form(client, questionnaire, past_warning_signs=False)
    page = client.post(WARNING_SIGNS, warning_sign_data(saddle_anaesthesia="True"))
    html = page.content.decode()
    assert "emergency department today" in html and 'href="tel:911"' in html
    referral = Referral.objects.open().get(patient=questionnaire.patient)
    assert referral.flags == ["saddle_anaesthesia"] and referral.source == "questionnaire"
    # Sessions are blocked, and the dashboard puts the patient on top.
    refused = lac_client.get(reverse("treatments:session-create", args=[questionnaire.plan.pk]))
    assert refused.status_code == 409
    dashboard = lac_client.get(reverse("pages:dashboard")).content.decode()
    assert dashboard.index('data-testid="open-alert"') < dashboard.index("Open red flags")


def test_phq9_is_asked_at_week_4_and_item_9_raises_the_alert(client, plan):
    questionnaire = Questionnaire.objects.create(
        patient=plan.patient, plan=plan, due_date=timezone.localdate(), week=4, includes_phq9=True
    )
    open_form(client, questionnaire)
    answer_steps(client, "pain", "odi")
    assert 'name="phq9_9"' in client.get(FORM).content.decode()
    missing = client.post(FORM, questionnaire_data())
    assert missing.context["form"].errors["phq9_1"]
    client.post(FORM, questionnaire_data(phq9=(1, 1, 2, 2, 1, 0, 1, 0, 1)))
    questionnaire.refresh_from_db()
    assert questionnaire.phq9_total == 9
    assert Alert.objects.open().filter(patient=plan.patient, kind="self_harm", item9=1).exists()


def test_phq9_is_not_asked_in_other_weeks(client, questionnaire):
    open_form(client, questionnaire)
    page = client.get(FORM).content.decode()
    assert 'name="leg_pain_now"' in page and 'name="phq9_1"' not in page


def test_without_a_link_session_the_form_is_the_friendly_invalid_page(client):
    page = client.get(FORM)
    assert page.status_code == 404
    assert page["Referrer-Policy"] == "no-referrer"


def test_an_expired_link_gives_the_friendly_page(client, questionnaire):
    _, token = issue_link(
        patient=questionnaire.patient, purpose="questionnaire", subject=questionnaire, ttl=timedelta(seconds=-1)
    )
    assert client.get(reverse("clinic:link-open", args=[token])).status_code == 404


# --- staff ------------------------------------------------------------------------------


def test_staff_enter_a_paper_form(desk_client, plan, front_desk):
    url = reverse("outcomes:questionnaire-create", args=[plan.patient.pk])
    due = timezone.localdate() - timedelta(days=3)
    page = desk_client.post(url, questionnaire_data(odi=(1,) * 10, due_date=due.isoformat()))
    assert page.status_code == 302
    questionnaire = Questionnaire.objects.get(patient=plan.patient, due_date=due)
    assert (questionnaire.odi_score, questionnaire.source, questionnaire.entered_by) == (20, "staff", front_desk)


@pytest.mark.parametrize(
    ("client_name", "message"),
    [
        ("desk_client", "Paper questionnaire saved."),
        ("lac_client", "Paper questionnaire saved (ODI 20 %)."),
    ],
)
def test_only_clinical_staff_see_the_score_on_saving_a_paper_form(request, plan, client_name, message):
    url = reverse("outcomes:questionnaire-create", args=[plan.patient.pk])
    data = questionnaire_data(odi=(1,) * 10, due_date=timezone.localdate().isoformat())
    page = request.getfixturevalue(client_name).post(url, data, follow=True)
    assert [str(m) for m in page.context["messages"]] == [message]


def test_a_paper_form_for_a_future_date_is_refused(desk_client, plan):
    url = reverse("outcomes:questionnaire-create", args=[plan.patient.pk])
    page = desk_client.post(url, questionnaire_data(due_date=(date.today() + timedelta(days=9)).isoformat()))
    assert "cannot be due in the future" in page.context["form"].errors["due_date"][0]
    assert page.context["form"].data["leg_pain_now"] == "5"


def test_a_paper_form_for_an_answered_date_is_refused(desk_client, plan):
    url = reverse("outcomes:questionnaire-create", args=[plan.patient.pk])
    data = questionnaire_data(due_date=timezone.localdate().isoformat())
    assert desk_client.post(url, data).status_code == 302
    page = desk_client.post(url, data)
    assert "already been entered" in page.context["form"].errors["due_date"][0]
    assert Questionnaire.objects.count() == 1


def test_half_a_phq9_on_paper_asks_for_the_rest(desk_client, plan):
    url = reverse("outcomes:questionnaire-create", args=[plan.patient.pk])
    page = desk_client.post(url, questionnaire_data(due_date=timezone.localdate().isoformat(), phq9_1="1"))
    assert "all nine PHQ-9 items" in page.context["form"].errors["phq9_2"][0]


def test_staff_send_a_link_with_a_qr_code(desk_client, questionnaire, mailoutbox, django_capture_on_commit_callbacks):
    questionnaire.patient.email = "ada@example.org"
    questionnaire.patient.save()
    with django_capture_on_commit_callbacks(execute=True):
        page = desk_client.post(
            reverse(
                "outcomes:questionnaire-link-create",
                args=[questionnaire.patient_id, questionnaire.due_date.isoformat()],
            ),
            {"email": "1"},
        )
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "/l/" in html
    assert len(mailoutbox) == 1 and "/l/" in mailoutbox[0].body
    questionnaire.refresh_from_db()
    assert questionnaire.reminded_at is not None


def test_the_chart_plots_the_questionnaires_and_shows_responder_status(lac_client, plan):
    Questionnaire.objects.create(
        patient=plan.patient, plan=plan, due_date=date(2026, 10, 1), week=0, odi_score=40, submitted_at=timezone.now()
    )
    Questionnaire.objects.create(
        patient=plan.patient, plan=plan, due_date=date(2026, 10, 29), week=4, odi_score=26, submitted_at=timezone.now()
    )
    page = lac_client.get(reverse("pages:patient-detail", args=[plan.patient.pk]))
    html = page.content.decode()
    assert 'id="outcome-chart-data"' in html and "chart.umd.min.js" in html
    assert "Responder" in html and "-14 points (-35.0 %)" in html
    assert page.context["outcomes"]["chart"]["threshold"] == 30


def test_the_chart_axis_reads_dates_as_the_pages_write_them(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)  # its one session on a fixed day, not yesterday
    scored(plan, date(2026, 10, 1), 0, 40)
    scored(plan, date(2026, 10, 29), 4, 26)
    SessionFactory(plan=plan, started_at=timezone.make_aware(datetime(2026, 10, 3, 10)), points=[])
    chart = lac_client.get(reverse("pages:patient-detail", args=[plan.patient.pk])).context["outcomes"]["chart"]
    # The series stay on ISO days (the positions); the axis and tooltips read the labels.
    assert chart["dates"] == ["2026-10-01", "2026-10-29"] and chart["sessions"] == ["2026-10-03"]
    assert chart["labels"] == {"2026-10-01": "Oct 1", "2026-10-03": "Oct 3", "2026-10-29": "Oct 29"}


def test_a_chart_across_the_new_year_names_the_year():
    assert axis_labels(["2027-01-07", "2026-12-03", "2026-12-03"]) == {
        "2026-12-03": "Dec 3, 2026",
        "2027-01-07": "Jan 7, 2027",
    }
    assert axis_labels([]) == {}


@pytest.mark.parametrize(
    ("baseline", "latest", "shown"),
    [
        (7, 5, '7 → 5</strong> (-2) <span class="badge text-bg-success">meaningful</span>'),  # 2 points
        (3, 2, '3 → 2</strong> (-1) <span class="badge text-bg-success">meaningful</span>'),  # 33 %
        (8, 7, "8 → 7</strong> (-1)</div>"),  # 1 point, 12.5 %: not yet
        (4, 6, "4 → 6</strong> (+2)</div>"),  # worse
    ],
)
def test_the_chart_shows_the_change_in_leg_pain_and_whether_it_is_meaningful(lac_client, plan, baseline, latest, shown):
    scored(plan, date(2026, 10, 1), 0, 40, leg_pain_now=baseline)
    scored(plan, date(2026, 10, 29), 4, 36, leg_pain_now=latest)
    html = lac_client.get(reverse("pages:patient-detail", args=[plan.patient.pk])).content.decode()
    assert f'<div data-testid="leg-pain">Leg pain now <strong>{shown}' in html


def test_the_front_desk_sees_due_questionnaires_but_not_scores(desk_client, questionnaire):
    html = desk_client.get(reverse("pages:patient-detail", args=[questionnaire.patient.pk])).content.decode()
    assert "Due and not answered" in html
    assert "outcome-chart" not in html


def scored(plan, due, week, odi, **answers):
    return Questionnaire.objects.create(
        patient=plan.patient, plan=plan, due_date=due, week=week, odi_score=odi, submitted_at=timezone.now(), **answers
    )


def test_the_chart_measures_change_within_the_current_course_of_care(lac_client, plan):
    earlier = TreatmentPlanFactory(patient=plan.patient, start_date=date(2025, 1, 6))
    scored(earlier, date(2025, 1, 6), 0, 60)
    scored(earlier, date(2025, 3, 3), 8, 40)
    scored(plan, date(2026, 10, 1), 0, 32)
    scored(plan, date(2026, 10, 29), 4, 31)
    page = lac_client.get(reverse("pages:patient-detail", args=[plan.patient.pk]))
    summary = page.context["outcomes"]["summary"]
    assert (summary.baseline.odi_score, summary.latest.odi_score) == (32, 31)
    assert summary.responder is False  # -1 point: not the -29 points against the earlier course's 60
    assert "Not yet a responder" in page.content.decode()
    assert page.context["outcomes"]["chart"]["baseline"] == 32


def test_the_chart_shows_no_responder_status_without_a_baseline_in_this_course(lac_client, plan):
    earlier = TreatmentPlanFactory(patient=plan.patient, start_date=date(2025, 1, 6))
    scored(earlier, date(2025, 1, 6), 0, 60)
    scored(plan, date(2026, 10, 29), 4, 31)  # the current course's first weeks went unanswered
    summary = lac_client.get(reverse("pages:patient-detail", args=[plan.patient.pk])).context["outcomes"]["summary"]
    assert summary.baseline is None and summary.change is None and summary.responder is None


@pytest.mark.parametrize(
    ("total", "band", "flagged"), [(9, "mild", False), (10, "moderate", True), (20, "severe", True)]
)
def test_a_weekly_phq9_shows_its_band_and_the_10_or_more_flag(lac_client, plan, total, band, flagged):
    questionnaire = scored(plan, date(2026, 10, 1), 0, 40)
    Questionnaire.objects.filter(pk=questionnaire.pk).update(phq9_total=total)
    html = lac_client.get(reverse("outcomes:questionnaire-detail", args=[questionnaire.pk])).content.decode()
    assert f"{total} ({band})" in html
    assert ("PHQ-9 ≥ 10" in html) is flagged


@pytest.mark.parametrize(
    ("due", "message"),
    [
        ("0001-01-01", "Check the year: a questionnaire cannot be due before 1900."),
        ("1000-01-01", "Check the year: a questionnaire cannot be due before 1900."),
        ("2026-09-30", "Check the date: it is before the start of the current plan (Oct 1, 2026)."),
    ],
)
def test_a_paper_form_due_before_the_plan_is_refused_beside_the_field(desk_client, plan, due, message):
    assert plan.start_date == date(2026, 10, 1)
    url = reverse("outcomes:questionnaire-create", args=[plan.patient.pk])
    page = desk_client.post(url, questionnaire_data(due_date=due))
    assert page.status_code == 200
    assert page.context["form"].errors["due_date"] == [message]
    html = page.content.decode()
    assert message in html and f'value="{due}"' in html
    assert not Questionnaire.objects.exists()


def test_a_paper_form_for_a_questionnaire_already_scheduled_is_accepted_whatever_the_plan(desk_client, plan):
    """An overdue form of an earlier course of care keeps its own row, even once a new plan has started."""
    scheduled = Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=date(2026, 9, 1), week=4)
    url = reverse("outcomes:questionnaire-create", args=[plan.patient.pk])
    assert desk_client.post(url, questionnaire_data(due_date="2026-09-01")).status_code == 302
    scheduled.refresh_from_db()
    assert scheduled.is_submitted
