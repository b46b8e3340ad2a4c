"""Logging, locking and amending sessions through the views (docs/architecture.md, "A session is saved")."""

import re
from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from intake.models import Referral
from tests.factories import (
    IntakeFactory,
    SessionFactory,
    TreatmentPlanFactory,
    session_form_data,
)
from treatments.models import Addendum, AdverseEvent, ElectroPair, Session, SessionPoint, SignedSessionError


@pytest.fixture
def plan(acupuncturist):
    return TreatmentPlanFactory(practitioner=acupuncturist)


def create_url(plan):
    return reverse("treatments:session-create", args=[plan.pk])


def post_session(client, plan, **kwargs):
    return client.post(create_url(plan), session_form_data(**kwargs))


# --- happy path --------------------------------------------------------------------------


def test_log_a_session_with_points_electro_and_adverse_event(lac_client, plan):
    response = post_session(
        lac_client,
        plan,
        points=["bl 23", "BL-25", "gb30", {"code": "GB34", "side": "L", "technique": "reduce", "de_qi": "on"}],
        electro=[{"point_a": "BL25", "point_b": "BL40", "frequency_hz": "2", "minutes": "20"}],
        adverse=[{"kind": "bruising", "description": "Small bruise at GB30", "action_taken": "Pressure"}],
        tuina_minutes="15",
        tuina_techniques=["rolling", "kneading"],
    )
    session = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == session.get_absolute_url()
    assert [p.point.code for p in session.points.all()] == ["BL23", "BL25", "GB30", "GB34"]
    assert sum(p.needles for p in session.points.all()) == 7  # three bilateral, one left
    assert session.points.get(point__code="GB34").de_qi is True
    pair = session.electro_pairs.get()
    assert (pair.point_a.code, pair.point_b.code, pair.frequency_hz) == ("BL25", "BL40", 2)
    assert session.adverse_events.get().kind == "bruising"
    assert session.tuina_techniques == ["rolling", "kneading"]
    assert session.patient == plan.patient


def test_form_starts_from_the_previous_session(lac_client, plan):
    SessionFactory(plan=plan, points=["BL23", "BL40", "GB34"], contact_minutes=45)
    response = lac_client.get(create_url(plan))
    assert response.status_code == 200
    initial = [form.initial.get("code") for form in response.context["entry"].points.forms if form.initial]
    assert initial == ["BL23", "BL40", "GB34"]
    assert response.context["entry"].form.initial["contact_minutes"] == 45
    assert "previous session" in response.context["source"]


def test_form_copies_contact_minutes_and_reinsertions_from_the_same_previous_session(lac_client, plan):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    SessionFactory(plan=plan, started_at=now - timedelta(days=7), contact_minutes=30, reinsertions=1)
    SessionFactory(plan=plan, started_at=now - timedelta(days=1), contact_minutes=60, reinsertions=3, tuina_minutes=10)
    form = lac_client.get(create_url(plan)).context["entry"].form
    assert (form.initial["contact_minutes"], form.initial["reinsertions"]) == (60, 3)
    # Separately billed work and the notes are recorded again, never carried over.
    assert form.initial["tuina_minutes"] == 0
    assert not form.initial.get("subjective")
    page = lac_client.get(create_url(plan)).content.decode()
    assert 'value="3"' in re.search(r'<input[^>]*name="session-reinsertions"[^>]*>', page).group()


def test_form_starts_from_a_chosen_protocol(lac_client, plan):
    from treatments.models import Protocol

    protocol = Protocol.objects.get(name__icontains="sciatica", owner=None)
    response = lac_client.get(create_url(plan), {"protocol": protocol.pk})
    initial = [form.initial.get("code") for form in response.context["entry"].points.forms if form.initial]
    assert initial == ["BL23", "BL25", "BL40", "BL60", "GB30", "GB34"]
    assert protocol.name in response.context["source"]


def test_another_practitioners_protocol_is_not_offered(lac_client, plan):
    from tests.factories import UserFactory
    from treatments.models import Protocol

    private = Protocol.objects.create(name="Mine", owner=UserFactory())
    response = lac_client.get(create_url(plan), {"protocol": private.pk})
    assert response.context["source"] == ""
    assert private not in response.context["protocols"]


# --- bad input keeps everything ------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"pain_before": "11"}, "pain_before", "less than or equal to 10"),
        ({"pain_after": "-1"}, "pain_after", "greater than or equal to 0"),
        ({"contact_minutes": "abc"}, "contact_minutes", "Enter a whole number"),
        ({"reinsertions": "-1"}, "reinsertions", "greater than or equal to 0"),
        ({"reinsertions": "21"}, "reinsertions", "less than or equal to 20"),
        ({"tuina_techniques": ["rolling"]}, "tuina_minutes", "Tui Na minutes"),
        (
            {"tuina_separate_region": "on", "tuina_minutes": "20"},
            "tuina_regions",
            "Name the region Tui Na was given to",
        ),
        (
            {"tuina_separate_region": "on", "tuina_regions": "Left shoulder"},
            "tuina_separate_region",
            "Enter the Tui Na minutes",
        ),
    ],
)
def test_bad_session_fields_are_shown_beside_the_field(lac_client, plan, overrides, field, message):
    response = post_session(lac_client, plan, points=["BL23"], **overrides)
    assert response.status_code == 200
    form = response.context["entry"].form
    assert message in " ".join(form.errors[field])
    assert form.data["session-subjective"] == "Leg pain 6/10, sleeping better."
    assert not Session.objects.exists()


def test_the_separate_region_for_tui_na_is_recorded_only_when_ticked(lac_client, plan):
    post_session(lac_client, plan, points=["BL23"], tuina_minutes="20", tuina_regions="Left shoulder")
    assert Session.objects.get().tuina_separate_region is False
    Session.objects.all().delete()
    response = post_session(
        lac_client,
        plan,
        points=["BL23"],
        tuina_minutes="20",
        tuina_regions="Left shoulder (trapezius)",
        tuina_separate_region="on",
    )
    assert response.status_code == 302
    session = Session.objects.get()
    assert session.tuina_separate_region is True
    page = lac_client.get(session.get_absolute_url()).content.decode()
    assert "Left shoulder (trapezius) (a region separate from the needling)" in page


def test_the_separate_region_of_a_signed_session_cannot_be_changed(plan):
    session = SessionFactory(plan=plan, signed=True, tuina_minutes=20, tuina_regions="Left shoulder")
    session.tuina_separate_region = True
    with pytest.raises(SignedSessionError):
        session.save()
    with pytest.raises(SignedSessionError):
        Session.objects.filter(pk=session.pk).update(tuina_separate_region=True)
    assert Session.objects.get(pk=session.pk).tuina_separate_region is False


def test_negative_reinsertions_are_refused_beside_the_field(lac_client, plan):
    response = post_session(lac_client, plan, points=["BL23"], reinsertions="-2")
    html = response.content.decode()
    field = html[html.index('id="div_id_session-reinsertions"') : html.index('id="div_id_session-pain_before"')]
    assert 'value="-2"' in field and "is-invalid" in field
    assert "Ensure this value is greater than or equal to 0." in field
    assert not Session.objects.exists()


def test_reinsertions_round_trip_through_the_form_and_the_session_page(lac_client, plan):
    assert post_session(lac_client, plan, points=["BL23"], contact_minutes="45", reinsertions="2").status_code == 302
    session = Session.objects.get()
    assert session.reinsertions == 2
    url = reverse("treatments:session-update", args=[session.pk])
    assert lac_client.get(url).context["entry"].form.initial["reinsertions"] == 2
    page = lac_client.get(session.get_absolute_url()).content.decode()
    assert "45 min one-on-one · 2 needle re-insertions" in page
    assert "97811</span> × 2" in page


def test_a_session_time_in_the_future_is_refused(lac_client, plan):
    future = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = post_session(lac_client, plan, points=["BL23"], started_at=future)
    assert "cannot be in the future" in " ".join(response.context["entry"].form.errors["started_at"])
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"code": "BL23", "retention_minutes": "121"}, "retention_minutes", "less than or equal to 120"),
        ({"code": "BL23", "depth_mm": "101"}, "depth_mm", "less than or equal to 100"),
        ({"code": "BL99"}, "code", "“BL99” is not a point in the catalogue."),
        ({"code": "XX1"}, "code", "is not a point in the catalogue"),
    ],
)
def test_bad_point_rows_are_shown_beside_the_field(lac_client, plan, row, field, message):
    response = post_session(lac_client, plan, points=["GB30", row])
    entry = response.context["entry"]
    assert message in " ".join(entry.points.forms[1].errors[field])
    assert entry.points.forms[0].data["points-0-code"] == "GB30"
    assert not Session.objects.exists()


def test_an_unknown_code_suggests_near_matches(lac_client, plan):
    response = post_session(lac_client, plan, points=["GB300"])
    (error,) = response.context["entry"].points.forms[0].errors["code"]
    assert "Did you mean" in error and "GB30" in error


@pytest.mark.parametrize("hz", ["0", "0.5", "200.1", "250"])
def test_electro_frequency_outside_1_to_200_is_refused(lac_client, plan, hz):
    response = post_session(
        lac_client,
        plan,
        points=["BL23"],
        electro=[{"point_a": "BL25", "point_b": "BL40", "frequency_hz": hz, "minutes": "20"}],
    )
    assert response.context["entry"].electro.forms[0].errors["frequency_hz"]
    assert not Session.objects.exists()


@pytest.mark.parametrize("hz", ["1", "200"])
def test_electro_frequency_limits_are_accepted(lac_client, plan, hz):
    response = post_session(
        lac_client,
        plan,
        points=["BL23"],
        electro=[{"point_a": "BL25", "point_b": "BL40", "frequency_hz": hz, "minutes": "20"}],
    )
    assert response.status_code == 302
    assert ElectroPair.objects.get().frequency_hz == int(hz)


# --- safety at save, through the intake's API ---------------------------------------------


def test_no_session_while_a_referral_is_open(lac_client, acupuncturist):
    intake = IntakeFactory(saddle_anaesthesia=True)
    plan = TreatmentPlanFactory(patient=intake.patient, practitioner=acupuncturist)
    referral = Referral.objects.get(patient=intake.patient)
    responses = (
        lac_client.get(create_url(plan)),
        post_session(lac_client, plan, points=["BL23"]),
        post_session(lac_client, plan, points=["BL23"], pain_before="11"),  # invalid: still refused, not re-shown
    )
    for response in responses:
        assert response.status_code == 409
        assert reverse("intake:referral-detail", args=[referral.pk]) in response.content.decode()
        assert "Saddle" in response.content.decode()
    assert not Session.objects.exists()


def test_a_referral_opened_while_the_form_was_open_still_stops_the_save(lac_client, plan):
    from intake.services import open_referral

    open_referral(patient=plan.patient, flags=["fever_infection"], source="exam")
    response = post_session(lac_client, plan, points=["BL23"])
    assert response.status_code == 409
    assert not Session.objects.exists()


def pregnant_plan(acupuncturist, **intake):
    patient = IntakeFactory(pregnant=True, pregnancy_weeks=20, **intake).patient
    return TreatmentPlanFactory(patient=patient, practitioner=acupuncturist)


def test_pregnancy_blocks_forbidden_points_without_an_override(lac_client, acupuncturist):
    plan = pregnant_plan(acupuncturist)
    response = post_session(lac_client, plan, points=["GB34", "SP6"])
    assert "SP6 is blocked" in " ".join(response.context["entry"].form.errors["override_reason"])
    assert not Session.objects.exists()


def test_pregnancy_override_reason_allows_the_points(lac_client, acupuncturist):
    plan = pregnant_plan(acupuncturist)
    response = post_session(
        lac_client, plan, points=["GB34", "SP6"], override_reason="Breech presentation, OB-approved moxa protocol"
    )
    assert response.status_code == 302
    assert Session.objects.get().override_reason.startswith("Breech")


def test_pregnancy_blocks_electro_on_the_trunk_even_with_an_override(lac_client, acupuncturist):
    plan = pregnant_plan(acupuncturist)
    response = post_session(
        lac_client,
        plan,
        points=["GB34"],
        electro=[{"point_a": "BL23", "point_b": "BL25", "frequency_hz": "2", "minutes": "20"}],
        override_reason="Wants it",
    )
    assert response.status_code == 200
    assert "no electroacupuncture on the trunk" in " ".join(response.context["entry"].safety_errors)
    assert not Session.objects.exists()


def test_pregnancy_blocks_forbidden_points_wired_for_electroacupuncture(lac_client, acupuncturist):
    plan = pregnant_plan(acupuncturist)
    electro = [{"point_a": "LI4", "point_b": "SP6", "frequency_hz": "2", "minutes": "20"}]
    response = post_session(lac_client, plan, points=["ST36"], electro=electro)
    assert "LI4, SP6 are blocked" in " ".join(response.context["entry"].form.errors["override_reason"])
    assert not Session.objects.exists()


def test_pregnancy_blocks_moxibustion_on_the_lower_abdomen(lac_client, acupuncturist):
    plan = pregnant_plan(acupuncturist)
    response = post_session(lac_client, plan, points=["ST36"], moxibustion_kind="box", moxibustion_points="CV4 CV6")
    assert "CV4, CV6 are blocked" in " ".join(response.context["entry"].form.errors["override_reason"])
    assert not Session.objects.exists()


@pytest.fixture
def moxa_plan(acupuncturist):
    patient = IntakeFactory(consents=["needling", "electroacupuncture", "moxibustion"]).patient
    return TreatmentPlanFactory(patient=patient, practitioner=acupuncturist)


def test_moxibustion_points_are_checked_against_the_catalogue(lac_client, moxa_plan):
    plan = moxa_plan
    response = post_session(lac_client, plan, points=["ST36"], moxibustion_kind="box", moxibustion_points="BL23 XY99")
    errors = response.context["entry"].form.errors["moxibustion_points"]
    assert errors == ["“XY99” is not a point in the catalogue."]
    assert 'value="BL23 XY99"' in response.content.decode()  # what was typed comes back
    assert not Session.objects.exists()


def test_moxibustion_points_are_stored_in_the_catalogues_spelling(lac_client, moxa_plan):
    plan = moxa_plan
    response = post_session(lac_client, plan, points=["ST36"], moxibustion_kind="box", moxibustion_points="bl 23, du4")
    assert response.status_code == 302
    assert Session.objects.get().moxibustion_points == "BL23, GV4"


def test_moxibustion_points_need_the_kind_of_moxibustion(lac_client, moxa_plan):
    plan = moxa_plan
    response = post_session(lac_client, plan, points=["ST36"], moxibustion_points="BL23")
    assert response.context["entry"].form.errors["moxibustion_kind"] == [
        "Choose the kind of moxibustion used on these points."
    ]


def test_electroacupuncture_needs_consent_to_needling_too(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(
        patient=IntakeFactory(consents=["electroacupuncture"]).patient, practitioner=acupuncturist
    )
    electro = [{"point_a": "GB30", "point_b": "GB34", "frequency_hz": "2", "minutes": "20"}]
    response = post_session(lac_client, plan, electro=electro)
    assert "No consent to acupuncture needling" in " ".join(response.context["entry"].form.non_field_errors())
    assert not Session.objects.exists()


def test_implanted_device_blocks_electroacupuncture(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(patient=IntakeFactory(implanted_device=True).patient, practitioner=acupuncturist)
    electro = [{"point_a": "GB30", "point_b": "GB34", "frequency_hz": "2", "minutes": "20"}]
    response = post_session(lac_client, plan, points=["GB34"], electro=electro)
    assert "implanted electrical device" in " ".join(response.context["entry"].safety_errors)
    assert post_session(lac_client, plan, points=["GB34"]).status_code == 302


def test_anticoagulants_caution_must_be_acknowledged(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(patient=IntakeFactory(anticoagulants=True).patient, practitioner=acupuncturist)
    response = lac_client.get(create_url(plan))
    assert "Tui Na or superficial needling" in response.content.decode()
    response = post_session(lac_client, plan, points=["GB34"])
    assert "Acknowledge the cautions" in " ".join(response.context["entry"].form.errors["cautions_acknowledged"])
    response = post_session(lac_client, plan, points=["GB34"], cautions_acknowledged="on")
    assert response.status_code == 302
    assert Session.objects.get().cautions_acknowledged is True


def test_a_modality_without_consent_is_refused(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(patient=IntakeFactory(consents=["needling"]).patient, practitioner=acupuncturist)
    response = post_session(
        lac_client,
        plan,
        points=["GB34"],
        electro=[{"point_a": "GB30", "point_b": "GB34", "frequency_hz": "2", "minutes": "20"}],
    )
    assert "No consent to electroacupuncture" in " ".join(response.context["entry"].form.non_field_errors())


# --- sign and lock -----------------------------------------------------------------------


def test_the_practitioner_signs_and_the_session_locks(lac_client, plan, acupuncturist):
    session = SessionFactory(plan=plan)
    response = lac_client.post(reverse("treatments:session-sign", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.signed_by == acupuncturist and session.is_signed


def test_only_the_treating_practitioner_signs(lac_client, plan):
    other = SessionFactory(plan=TreatmentPlanFactory())
    response = lac_client.post(reverse("treatments:session-sign", args=[other.pk]))
    assert response.status_code == 403
    assert "Only the practitioner who gave the treatment" in response.content.decode()
    other.refresh_from_db()
    assert not other.is_signed


def assert_edit_refused(client, session, says: str) -> None:
    """An edit of the factory's session (pain 6, four points) is refused and changes nothing stored."""
    response = client.post(
        reverse("treatments:session-update", args=[session.pk]),
        session_form_data(points=["ST36"], pain_before="1", version=str(session.version)),
    )
    assert response.status_code == 409
    assert says in response.content.decode()
    session.refresh_from_db()
    assert session.pain_before == 6
    assert [p.point.code for p in session.points.all()] == ["BL23", "BL25", "GB30", "BL40"]


def test_a_signed_session_cannot_be_edited_through_the_view(lac_client, plan):
    session = SessionFactory(plan=plan, signed=True)
    response = lac_client.get(reverse("treatments:session-update", args=[session.pk]))
    assert response.status_code == 302
    assert_edit_refused(lac_client, session, "addendum")


def test_an_unsigned_session_cannot_be_changed_once_a_red_flag_opens_a_referral(lac_client, plan):
    from intake.models import ReferralSource
    from intake.services import open_referral

    session = SessionFactory(plan=plan)
    open_referral(patient=plan.patient, flags=["saddle_anaesthesia"], source=ReferralSource.QUESTIONNAIRE)
    assert_edit_refused(lac_client, session, "Urgent referral open since")


def test_an_unsigned_session_can_be_edited(lac_client, plan):
    session = SessionFactory(plan=plan)
    response = lac_client.post(
        reverse("treatments:session-update", args=[session.pk]),
        session_form_data(points=["ST36"], pain_before="2", version=str(session.version)),
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.pain_before == 2
    assert [p.point.code for p in session.points.all()] == ["ST36"]


def test_a_signed_session_cannot_be_changed_by_a_model_save(plan):
    session = SessionFactory(plan=plan, signed=True)
    session.pain_before = 0
    with pytest.raises(SignedSessionError):
        session.save()
    with pytest.raises(SignedSessionError):
        session.delete()
    with pytest.raises(SignedSessionError):
        Session.objects.filter(pk=session.pk).update(pain_before=0)
    with pytest.raises(SignedSessionError):
        Session.objects.filter(pk=session.pk).delete()
    assert Session.objects.get(pk=session.pk).pain_before == 6


def test_the_parts_of_a_signed_session_are_locked_too(plan):
    session = SessionFactory(plan=plan, signed=True)
    point = session.points.first()
    point.depth_mm = 80
    with pytest.raises(SignedSessionError):
        point.save()
    with pytest.raises(SignedSessionError):
        point.delete()
    with pytest.raises(SignedSessionError):
        SessionPoint.objects.filter(session=session).update(depth_mm=80)
    with pytest.raises(SignedSessionError):
        SessionPoint.objects.filter(session=session).delete()
    with pytest.raises(SignedSessionError):
        AdverseEvent.objects.create(session=session, kind="other", severity="mild")
    with pytest.raises(SignedSessionError):
        SessionPoint.objects.create(session=session, point=point.point)


def test_a_signed_session_is_read_only_in_the_admin(plan, admin_user):
    from treatments.models import Session as SessionModel

    session = SessionFactory(plan=plan, signed=True)
    request = RequestFactory().get("/")
    request.user = admin_user
    model_admin = site._registry[SessionModel]
    assert not model_admin.has_change_permission(request, session)
    assert not model_admin.has_delete_permission(request, session)
    # Unsigned ones too: sessions are made and changed only through the session form (tests/clinic/test_admin.py).
    assert not model_admin.has_change_permission(request, SessionFactory(plan=plan))


def test_a_signed_session_cannot_be_changed_through_the_admin_post(admin_client, plan):
    session = SessionFactory(plan=plan, signed=True)
    client = admin_client
    url = reverse("admin:treatments_session_change", args=[session.pk])
    response = client.post(url, {"pain_before": "0", "contact_minutes": "30"})
    assert response.status_code == 403
    session.refresh_from_db()
    assert session.pain_before == 6
    response = client.post(reverse("admin:treatments_session_delete", args=[session.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Session.objects.filter(pk=session.pk).exists()


# --- addenda ------------------------------------------------------------------------------


def test_addenda_are_added_to_a_signed_session_and_shown_under_the_note(lac_client, plan, acupuncturist):
    session = SessionFactory(plan=plan, signed=True)
    url = reverse("treatments:addendum-create", args=[session.pk])
    response = lac_client.post(url, {"text": "Correction: GB30 was on the left only."})
    assert response.status_code == 302
    addendum = Addendum.objects.get()
    assert (addendum.author, addendum.session) == (acupuncturist, session)
    page = lac_client.get(session.get_absolute_url()).content.decode()
    assert "Correction: GB30 was on the left only." in page


def test_an_empty_addendum_is_an_error_beside_the_field(lac_client, plan):
    session = SessionFactory(plan=plan, signed=True)
    response = lac_client.post(reverse("treatments:addendum-create", args=[session.pk]), {"text": ""})
    assert response.status_code == 400
    assert response.context["addendum_form"].errors["text"]
    assert not Addendum.objects.exists()


def test_an_addendum_cannot_be_edited(plan, acupuncturist):
    addendum = Addendum.objects.create(session=SessionFactory(plan=plan, signed=True), author=acupuncturist, text="x")
    addendum.text = "changed"
    with pytest.raises(Exception, match="cannot be changed"):
        addendum.save()


def test_no_addendum_on_an_unsigned_session(lac_client, plan):
    session = SessionFactory(plan=plan)
    lac_client.post(reverse("treatments:addendum-create", args=[session.pk]), {"text": "note"})
    assert not Addendum.objects.exists()


# --- pages and queries --------------------------------------------------------------------


def test_session_detail_shows_the_note_needles_and_cpt_lines(lac_client, plan):
    session = SessionFactory(plan=plan, contact_minutes=30)
    page = lac_client.get(session.get_absolute_url()).content.decode()
    assert "BL23" in page and "GB30" in page
    assert "97810" in page and "97811" in page
    assert "8 needles" in page or ">8<" in page


def test_unknown_session_is_404(lac_client):
    assert lac_client.get(reverse("treatments:session-detail", args=[999999])).status_code == 404


def test_chart_and_plan_list_each_sessions_points_in_needling_order(lac_client, plan):
    post_session(lac_client, plan, points=["GB30", {"code": "BL40", "side": "L"}, "BL23"])
    for url in (reverse("pages:patient-detail", args=[plan.patient.pk]), plan.get_absolute_url()):
        assert "GB30, BL40<sub>L</sub>, BL23" in lac_client.get(url).content.decode()


def test_chart_numbers_sessions_within_their_course_of_care_newest_first(lac_client, plan):
    start = timezone.now() - timedelta(days=30)
    for day, pain in ((0, 7), (3, 5), (7, 3)):
        SessionFactory(plan=plan, started_at=start + timedelta(days=day), pain_before=pain, points=[])
    html = lac_client.get(reverse("pages:patient-detail", args=[plan.patient.pk])).content.decode()
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>.*?<td class=\"text-nowrap\">(\d+)", html, re.S)
    assert rows == [("3", "3"), ("2", "5"), ("1", "7")]  # (session number, pain before)


def test_session_pages_have_bounded_queries(lac_client, plan, django_assert_max_num_queries):
    sessions = [SessionFactory(plan=plan, points=["BL23", "BL25", "GB30", "GB34", "BL40", "BL60"]) for _ in range(6)]
    # 16: one is the navigation's count of the acupuncturist's notes to sign.
    with django_assert_max_num_queries(16):
        lac_client.get(sessions[-1].get_absolute_url())
    with django_assert_max_num_queries(15):
        lac_client.get(create_url(plan))


def test_saving_a_session_costs_the_same_for_two_points_or_twelve(lac_client, moxa_plan):
    plan = moxa_plan
    post_session(lac_client, plan, points=["BL23"])  # warms the content-type cache the audit log uses
    counts = []
    for codes, moxibustion in (
        (["BL23", "GB30"], {}),
        (["BL23", "BL25", "GB30", "GB34", "BL40", "BL60", "ST36", "SP9", "KI3", "BL57"], {}),
        # Moxibustion points are looked up in the needling rows' one catalogue query.
        (["BL23", "GB30"], {"moxibustion_kind": "box", "moxibustion_points": "BL23 BL25 GV4"}),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert post_session(lac_client, plan, points=codes, **moxibustion).status_code == 302
        # The test's own transaction turns the service's into a savepoint pair; production has none. More
        # than that pair would be a nested transaction production pays for.
        assert sum(q["sql"].startswith("SAVEPOINT") for q in queries) <= 1
        counts.append(len([q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]))
    assert counts[0] == counts[1] == counts[2]
    # Both treatment checks, the inserts, the plan's derived columns and two audit entries.
    assert counts[0] <= 15


def test_editing_a_session_keeps_the_points_left_unchanged(lac_client, plan):
    session = SessionFactory(plan=plan, points=["BL23", "GB30"])
    url = reverse("treatments:session-update", args=[session.pk])
    rows = [{"code": "BL23", "side": "B", "technique": "even", "retention_minutes": "25"}, "GB30"]
    data = session_form_data(points=rows, pain_before="4", version=str(session.version))
    assert lac_client.post(url, data).status_code == 302
    assert [p.point.code for p in session.points.all()] == ["BL23", "GB30"]


# --- rows typed but not complete are refused, never dropped ------------------------------------


@pytest.mark.parametrize(
    "row",
    [
        {"kind": "", "description": "Fainted on the table"},
        {"kind": "", "action_taken": "Laid flat, recovered in 5 minutes"},
        {"kind": "", "severity": "moderate", "description": "Dizzy", "action_taken": "Needles out"},
    ],
)
def test_an_adverse_event_described_without_its_kind_is_refused_not_dropped(lac_client, plan, row):
    response = post_session(lac_client, plan, points=["BL23"], adverse=[row])
    assert response.status_code == 200
    form = response.context["entry"].adverse.forms[0]
    assert form.errors["kind"] == ["Choose the kind of event."]
    html = response.content.decode()
    assert "Choose the kind of event." in html
    for typed in (row.get("description"), row.get("action_taken")):
        if typed:
            assert f'value="{typed}"' in html
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    "row",
    [
        {"code": "", "retention_minutes": "20"},
        {"code": "", "retention_minutes": "0"},
        {"code": "", "depth_mm": "25"},
        {"code": "", "de_qi": "on"},
        {"code": "", "side": "L", "technique": "reduce", "retention_minutes": "20", "depth_mm": "25"},
    ],
)
def test_a_point_row_typed_without_its_code_is_refused_not_dropped(lac_client, plan, row):
    response = post_session(lac_client, plan, points=["BL23", row])
    assert response.status_code == 200
    assert response.context["entry"].points.forms[1].errors["code"] == ["Enter the point code."]
    assert "Enter the point code." in response.content.decode()
    assert not Session.objects.exists()


def test_rows_left_at_their_defaults_are_still_empty_rows(lac_client, plan):
    """Side, technique, severity and waveform always post a value: alone, they are not a row."""
    response = post_session(
        lac_client,
        plan,
        points=["BL23", {"code": "", "side": "B", "technique": "even"}, {"code": "", "side": "L"}],
        electro=[{"point_a": "", "point_b": "", "waveform": "continuous"}],
        adverse=[{"kind": "", "severity": "severe", "description": "   "}],
    )
    assert response.status_code == 302
    session = Session.objects.get()
    assert [p.point.code for p in session.points.all()] == ["BL23"]
    assert not session.adverse_events.exists()


# --- every refused row value has its message beside it ------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("side", "Z"), ("technique", "twist")])
def test_a_tampered_side_or_technique_is_shown_beside_the_field(lac_client, plan, field, value):
    response = post_session(lac_client, plan, points=[{"code": "BL23", field: value}])
    assert response.status_code == 200
    html = response.content.decode()
    row = re.search(r'<tr class="point-row">.*?</tr>', html, re.S).group()
    assert "Select a valid choice." in row
    assert f'name="points-0-{field}"' in row and "is-invalid" in row
    assert "The session was not saved" in html
    assert not Session.objects.exists()


@pytest.mark.parametrize("prefix", ["electro", "adverse"])
def test_a_missing_row_management_form_is_said_not_silently_refused(lac_client, plan, prefix):
    data = session_form_data(points=["BL23"], subjective="typed note")
    del data[f"{prefix}-TOTAL_FORMS"]
    response = lac_client.post(create_url(plan), data)
    assert response.status_code == 200
    assert response.context["entry"].has_errors
    html = response.content.decode()
    assert "The session was not saved" in html
    assert f"These rows arrived incomplete ({prefix}-TOTAL_FORMS missing)" in html
    assert "typed note" in html
    assert not Session.objects.exists()


@pytest.mark.parametrize("row", [{"frequency_hz": "2"}, {"minutes": "20"}, {"intensity": "3 mA"}])
def test_an_electro_pair_typed_without_its_points_is_refused_not_dropped(lac_client, plan, row):
    response = post_session(lac_client, plan, points=["BL23"], electro=[{"point_a": "", "point_b": "", **row}])
    errors = response.context["entry"].electro.forms[0].errors
    assert errors["point_a"] == errors["point_b"] == ["Required for an electroacupuncture pair."]
    assert not Session.objects.exists()


# --- a session is dated within its course of care ------------------------------------------------


@pytest.mark.parametrize(
    ("started_at", "message"),
    [
        ("0001-01-01T00:00", "Check the year: a session cannot be dated before 1900."),
        ("0202-12-01T10:00", "Check the year: a session cannot be dated before 1900."),
        ("1000-06-01T12:00", "Check the year: a session cannot be dated before 1900."),
        ("2026-09-30T23:59", "Check the date: the session is before its plan started (Oct 1, 2026)."),
    ],
)
def test_a_session_dated_before_its_plan_is_refused_beside_the_field(lac_client, plan, started_at, message):
    assert plan.start_date.isoformat() == "2026-10-01"
    response = post_session(lac_client, plan, points=["BL23"], started_at=started_at, subjective="kept")
    assert response.status_code == 200
    (error,) = response.context["entry"].form.errors["started_at"]
    assert error.startswith(message)
    html = response.content.decode()
    assert message in html and f'value="{started_at}"' in html and "kept" in html
    assert not Session.objects.exists()


def test_a_session_before_the_patients_birth_is_refused_even_in_a_plan_that_started_earlier(lac_client, plan):
    from datetime import date

    plan.patient.date_of_birth = date(1980, 3, 4)
    plan.patient.save()
    plan.start_date = date(1970, 1, 1)
    plan.save()
    response = post_session(lac_client, plan, points=["BL23"], started_at="1980-03-03T10:00")
    assert response.context["entry"].form.errors["started_at"] == [
        "Check the date: a session cannot be dated before the patient's date of birth (Mar 4, 1980)."
    ]
    assert not Session.objects.exists()


def test_a_session_on_the_plans_first_day_is_accepted(lac_client, plan):
    assert post_session(lac_client, plan, points=["BL23"], started_at="2026-10-01T00:00").status_code == 302


def test_editing_a_session_checks_its_date_against_the_plan_too(lac_client, plan):
    session = SessionFactory(plan=plan)
    url = reverse("treatments:session-update", args=[session.pk])
    data = session_form_data(points=["BL23"], started_at="2020-10-01T10:00", version=str(session.version))
    assert "started_at" in lac_client.post(url, data).context["entry"].form.errors
