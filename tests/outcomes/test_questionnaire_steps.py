"""The patient's weekly form in four steps (issue 20): warning signs, pain, ODI, the rest.

Each step is saved on the questionnaire when it is posted, so a closed page loses nothing; reopening the
link resumes at the first unfinished step; the last step submits everything in one write.
"""

import re

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Alert, Referral
from outcomes.models import Questionnaire
from tests.factories import questionnaire_data, warning_sign_data
from tests.outcomes.test_questionnaires import FORM, WARNING_SIGNS, open_form

ODI = (5, 4, 3, 2, 1, 0, 1, 2, 3, None)  # 21 of 45 answered points: 46.67 %, rounded to 47


def post_step(client: Client, step: str, go: str = "next", **answers):
    return client.post(FORM, {**questionnaire_data(**{"odi": ODI, **answers}), "step": step, "go": go})


def checked(html: str, name: str) -> str | None:
    """The value of the radio button of `name` that the page shows chosen."""
    found = re.search(rf'<input type="radio" name="{name}" value="([^"]*)"[^>]*checked', html)
    return found.group(1) if found else None


def test_each_step_is_saved_and_leads_to_the_next(client, questionnaire):
    open_form(client, questionnaire)
    step2 = client.get(FORM)
    assert step2.templates[0].name == "outcomes/patient_form.html"
    assert "Step 2 of 4: your pain" in step2.content.decode()
    assert 'name="back_pain_now"' in step2.content.decode() and 'name="odi_walking"' not in step2.content.decode()

    page = post_step(client, "pain")
    assert page.status_code == 302 and page["Location"] == f"{FORM}?step=3"
    questionnaire.refresh_from_db()
    assert questionnaire.draft == {"back_pain_now": 4, "back_pain_worst": 6, "leg_pain_now": 5, "leg_pain_worst": 7}
    assert not questionnaire.is_submitted and questionnaire.back_pain_now is None  # nothing in its columns yet

    step3 = client.get(f"{FORM}?step=3").content.decode()
    assert "Step 3 of 4: everyday life" in step3 and 'name="odi_walking"' in step3
    assert post_step(client, "odi")["Location"] == f"{FORM}?step=4"
    questionnaire.refresh_from_db()
    assert questionnaire.draft["odi_lifting"] == 3 and questionnaire.draft["odi_travelling"] is None
    step4 = client.get(f"{FORM}?step=4").content.decode()
    assert "Step 4 of 4: the last questions" in step4 and 'name="pgic"' in step4 and "Send my answers" in step4


def test_the_page_shows_its_progress_as_words_and_a_progress_element(client, questionnaire):
    open_form(client, questionnaire)
    html = client.get(FORM).content.decode()
    assert '<p class="mb-1 fw-semibold" id="step-progress-label">Step 2 of 4: your pain</p>' in html
    assert '<progress max="4" value="2" aria-labelledby="step-progress-label">' in html
    assert 'Call <a href="tel:5550102400">(555) 010-2400</a>' in html  # the clinic's number, to tap


def test_reopening_the_link_resumes_at_the_first_unfinished_step_with_the_answers_filled_in(client, questionnaire):
    token = open_form(client, questionnaire)
    post_step(client, "pain", leg_pain_now="9")
    post_step(client, "odi")
    # The page is closed; later, on another phone, the same link is opened again.
    other = Client()
    assert other.get(reverse("clinic:link-open", args=[token]))["Location"] == FORM
    page = other.get(FORM)
    html = page.content.decode()
    assert "Step 4 of 4" in html
    other_page = other.get(f"{FORM}?step=2").content.decode()
    assert checked(other_page, "leg_pain_now") == "9" and checked(other_page, "back_pain_worst") == "6"
    odi_page = other.get(f"{FORM}?step=3").content.decode()
    assert checked(odi_page, "odi_pain_intensity") == "5" and checked(odi_page, "odi_travelling") is None


def test_a_later_step_asked_for_before_the_ones_before_it_shows_the_first_unfinished(client, questionnaire):
    open_form(client, questionnaire)
    for asked in ("4", "3", "99", "abc", "-1", ""):
        page = client.get(FORM, {"step": asked})
        assert page.status_code == 200 and "Step 2 of 4" in page.content.decode()
    post_step(client, "pain")
    assert "Step 3 of 4" in client.get(FORM, {"step": "4"}).content.decode()
    assert "Step 2 of 4" in client.get(FORM, {"step": "2"}).content.decode()  # going back is always allowed
    assert "Step 1 of 4" in client.get(FORM, {"step": "1"}).content.decode()


def test_back_saves_what_was_typed_without_asking_for_the_rest(client, questionnaire):
    open_form(client, questionnaire)
    post_step(client, "pain")
    # On step 3, two sections answered, then "Back": no error, the two kept, step 2 shown.
    page = client.post(FORM, {"step": "odi", "go": "back", "odi_walking": "1", "odi_sitting": "4"})
    assert page.status_code == 302 and page["Location"] == f"{FORM}?step=2"
    questionnaire.refresh_from_db()
    assert questionnaire.draft["odi_walking"] == 1 and questionnaire.draft["odi_sitting"] == 4
    assert client.post(FORM, {"step": "pain", "go": "back"})["Location"] == f"{FORM}?step=1"
    assert client.get(FORM).templates[0].name == "outcomes/patient_form.html"  # step 3 is still the one to do
    assert "Step 3 of 4" in client.get(FORM).content.decode()
    html = client.get(FORM, {"step": "3"}).content.decode()
    assert checked(html, "odi_walking") == "1" and checked(html, "odi_sitting") == "4"


def test_a_missing_answer_is_marked_beside_it_and_everything_typed_is_kept_and_saved(client, questionnaire):
    open_form(client, questionnaire)
    data = {**questionnaire_data(), "step": "pain", "go": "next"}
    del data["leg_pain_worst"]
    data["back_pain_now"] = "8"
    page = client.post(FORM, data)
    assert page.status_code == 400
    html = page.content.decode()
    assert set(page.context["form"].errors) == {"leg_pain_worst"}
    assert '<p class="error-text" id="id_leg_pain_worst_error">Please choose an answer.</p>' in html
    assert 'id="form-errors"' in html
    assert checked(html, "back_pain_now") == "8" and checked(html, "leg_pain_now") == "5"
    questionnaire.refresh_from_db()
    assert questionnaire.draft == {"back_pain_now": 8, "back_pain_worst": 6, "leg_pain_now": 5}


def test_two_blank_sections_are_asked_for_on_the_odi_step(client, questionnaire):
    open_form(client, questionnaire)
    post_step(client, "pain")
    page = post_step(client, "odi", odi=(2, 2, None, 2, 2, 2, 2, None, 2, 2))
    assert page.status_code == 400
    assert set(page.context["form"].errors) == {"odi_lifting", "odi_sex_life"}
    assert "Only one section may be left blank" in page.content.decode()
    questionnaire.refresh_from_db()
    assert questionnaire.draft["odi_walking"] == 2 and "odi_lifting" not in questionnaire.draft


@pytest.mark.parametrize(
    "data",
    [
        {"step": "pain", "go": "next", "back_pain_now": "11"},
        {"step": "odi", "go": "next", "odi_walking": "6"},
        {"step": "rest", "go": "next", "pgic": "0", "analgesic_days": "8"},
        {"step": "nonsense", "go": "sideways"},
        {"step": "rest", "go": "back", "pgic": "x"},
        {},
    ],
)
def test_bad_input_is_refused_with_a_message_never_an_error_page(client, questionnaire, data):
    open_form(client, questionnaire)
    page = client.post(FORM, data)
    assert page.status_code in (302, 400)
    if page.status_code == 400:
        assert 'id="form-errors"' in page.content.decode()
    questionnaire.refresh_from_db()
    assert not questionnaire.is_submitted
    assert all(value in range(11) or value is None for value in questionnaire.draft.values())


def test_the_last_step_submits_everything_in_one_write_with_the_exact_odi_score(client, questionnaire):
    token = open_form(client, questionnaire)
    post_step(client, "pain")
    post_step(client, "odi")
    entries = LogEntry.objects.get_for_object(questionnaire).count()
    page = post_step(client, "rest", pgic=2)
    assert page.status_code == 200 and "Thank you" in page.content.decode()
    assert Questionnaire.objects.count() == 1
    questionnaire.refresh_from_db()
    assert questionnaire.odi_score == 47  # 21 / 45 = 46.67 %
    assert questionnaire.odi_answers == list(ODI)
    assert (questionnaire.back_pain_now, questionnaire.leg_pain_worst, questionnaire.pgic) == (4, 7, 2)
    assert (questionnaire.analgesic_days, questionnaire.work_days_off, questionnaire.source) == (3, 1, "online")
    assert questionnaire.draft == {}  # the saved steps are emptied once their answers are in their columns
    # The submission is one audit entry, as before the steps.
    assert LogEntry.objects.get_for_object(questionnaire).count() == entries + 1
    # The link is spent: a reload and the link both show the thank-you page or the friendly one, never the form.
    assert "Thank you" in client.get(FORM).content.decode()
    assert Client().get(reverse("clinic:link-open", args=[token])).status_code == 404
    again = post_step(client, "rest", pgic=7)
    assert again.status_code == 200 and "Thank you" in again.content.decode()
    questionnaire.refresh_from_db()
    assert questionnaire.pgic == 2


def test_the_last_step_sent_before_an_earlier_one_is_finished_saves_it_and_asks_for_that_one(client, questionnaire):
    open_form(client, questionnaire)
    post_step(client, "pain")
    page = post_step(client, "rest")
    assert page.status_code == 302 and page["Location"] == FORM
    questionnaire.refresh_from_db()
    assert not questionnaire.is_submitted and questionnaire.draft["pgic"] == 3
    assert "Step 3 of 4" in client.get(FORM).content.decode()


def test_each_step_save_is_audited_in_words_without_the_answers(client, plan):
    due = timezone.localdate()
    week4 = Questionnaire.objects.create(patient=plan.patient, plan=plan, due_date=due, week=4, includes_phq9=True)
    open_form(client, week4)
    before = LogEntry.objects.get_for_object(week4).count()
    post_step(client, "pain")
    entry = LogEntry.objects.get_for_object(week4).latest("timestamp")
    assert entry.action == LogEntry.Action.UPDATE and entry.changes_dict == {}
    assert entry.object_repr == (
        f"Patient saved step 2 of 4 (your pain) of the weekly questionnaire due {due:%b} {due.day}, {due.year} "
        "(answers not shown until sent)"
    )
    assert entry.additional_data == {"patient_id": plan.patient_id, "saved": "step 2 of 4 (your pain)"}
    post_step(client, "odi")
    post_step(client, "rest", go="back", phq9_9=2)
    saves = LogEntry.objects.get_for_object(week4).order_by("pk")[before:]
    assert [row.additional_data.get("saved") for row in saves] == [
        "step 2 of 4 (your pain)",
        "step 3 of 4 (everyday life)",
        "step 4 of 4 (the last questions)",
    ]
    # Nowhere in the trail are the answers not yet sent (item 9 among them): no entry holds the draft.
    assert not any("draft" in (row.changes_dict or {}) for row in LogEntry.objects.get_for_object(week4))
    week4.refresh_from_db()
    assert week4.draft["phq9_9"] == 2
    # The same answers again change nothing, and write no entry.
    count = LogEntry.objects.get_for_object(week4).count()
    post_step(client, "pain")
    assert LogEntry.objects.get_for_object(week4).count() == count


def test_the_submission_entry_holds_the_answers_sent_but_never_the_draft(client, questionnaire):
    open_form(client, questionnaire)
    post_step(client, "pain")
    post_step(client, "odi")
    post_step(client, "rest")
    submitted = LogEntry.objects.get_for_object(questionnaire).latest("timestamp")
    assert submitted.changes_dict["odi_score"] == ["None", "47"] and "draft" not in submitted.changes_dict


def test_a_warning_sign_on_step_1_still_goes_the_urgent_way_and_the_steps_follow(client, questionnaire):
    open_form(client, questionnaire, past_warning_signs=False)
    page = client.post(WARNING_SIGNS, warning_sign_data(bladder_dysfunction="True"))
    html = page.content.decode()
    assert page.templates[0].name == "outcomes/patient_urgent.html"
    assert "Go to a hospital emergency department today" in html and 'href="tel:911"' in html
    assert Referral.objects.open().get(patient=questionnaire.patient).flags == ["bladder_dysfunction"]
    assert Alert.objects.filter(patient=questionnaire.patient).exists()
    # The rest, when the patient is able: each step reminds them of the advice.
    step2 = client.get(FORM).content.decode()
    assert "Step 2 of 4" in step2 and 'data-testid="urgent-reminder"' in step2
    post_step(client, "pain")
    post_step(client, "odi")
    done = post_step(client, "rest")
    assert "Thank you" in done.content.decode() and "Please get medical help today" in done.content.decode()
    questionnaire.refresh_from_db()
    assert questionnaire.bladder_dysfunction is True and questionnaire.odi_score == 47
    assert Referral.objects.count() == 1


def test_thoughts_of_self_harm_on_the_last_step_alert_at_once_even_going_back(client, plan):
    week4 = Questionnaire.objects.create(
        patient=plan.patient, plan=plan, due_date=timezone.localdate(), week=4, includes_phq9=True
    )
    open_form(client, week4)
    post_step(client, "pain")
    post_step(client, "odi")
    page = client.post(FORM, {"step": "rest", "go": "back", "phq9_9": "2"})
    assert page.status_code == 302
    assert Alert.objects.get(patient=plan.patient, kind="self_harm").item9 == 2


def test_the_crisis_resources_show_on_every_step_while_the_saved_item_9_is_above_0(client, plan):
    week4 = Questionnaire.objects.create(
        patient=plan.patient, plan=plan, due_date=timezone.localdate(), week=4, includes_phq9=True
    )
    open_form(client, week4)
    assert 'data-testid="crisis-resources"' not in client.get(FORM).content.decode()
    post_step(client, "pain")
    post_step(client, "odi")
    # Item 9 above 0 with Back: the alert is raised, and the page the patient lands on shows the resources.
    back = client.post(FORM, {"step": "rest", "go": "back", "phq9_9": "2"})
    assert back["Location"] == f"{FORM}?step=3"
    step3 = client.get(back["Location"]).content.decode()
    assert "Step 3 of 4" in step3
    assert step3.count('data-testid="crisis-resources"') == 1 and "You do not have to face this alone" in step3
    assert Alert.objects.filter(patient=plan.patient, kind="self_harm").count() == 1
    # Sent whole while an earlier step is unfinished (two ODI sections left blank): the redirect to that
    # step shows them too.
    week4.refresh_from_db()
    Questionnaire.objects.filter(pk=week4.pk).update(draft={**week4.draft, "odi_walking": None, "odi_sitting": None})
    page = client.post(FORM, {**questionnaire_data(phq9=(1,) * 9), "step": "rest", "go": "next"})
    assert page["Location"] == FORM
    unfinished = client.get(FORM).content.decode()
    assert "Step 3 of 4" in unfinished and 'data-testid="crisis-resources"' in unfinished
    week4.refresh_from_db()
    assert not week4.is_submitted
    # Item 9 changed back to "not at all": no more.
    client.post(FORM, {**questionnaire_data(phq9=(1,) * 8 + (0,)), "step": "rest", "go": "back"})
    assert 'data-testid="crisis-resources"' not in client.get(f"{FORM}?step=2").content.decode()
