"""No lost updates: two staff editing the same record (intake, plan, unsigned session)."""

from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from clinic.concurrency import StaleRecordError
from intake.models import Intake
from tests.factories import IntakeFactory, SessionFactory, TreatmentPlanFactory, UserFactory, session_form_data
from tests.treatments.test_plans import plan_data
from treatments.models import Session, TreatmentPlan


def form_data(response, form_name: str = "form") -> dict:
    """What a browser would post back: the form as rendered, with its hidden version."""
    form = response.context[form_name]
    data = {}
    for bound in form:
        value = bound.value()
        if value is None:
            continue
        data[bound.html_name] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return data


def test_the_second_save_of_a_plan_is_refused_and_shows_what_changed(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, planned_sessions=10)
    url = reverse("treatments:plan-update", args=[plan.pk])
    colleague = Client()
    colleague.force_login(acupuncturist)
    mine = plan_data(planned_sessions="12", goals="Mine", status="active")
    theirs = plan_data(planned_sessions="8", goals="Theirs", status="active")
    mine["version"] = theirs["version"] = str(plan.version)
    assert colleague.post(url, theirs).status_code == 302
    refused = lac_client.post(url, mine)
    assert refused.status_code == 200
    message = " ".join(refused.context["form"].non_field_errors())
    assert "Someone else saved this record" in message
    assert "planned sessions: 10 → 8" in message
    plan.refresh_from_db()
    assert (plan.planned_sessions, plan.goals) == (8, "Theirs")
    # The form now carries the current version: saving again, knowingly, goes through.
    again = dict(mine, version=str(refused.context["form"].data["version"]))
    assert lac_client.post(url, again).status_code == 302
    plan.refresh_from_db()
    assert plan.planned_sessions == 12


def test_the_second_save_of_an_intake_is_refused(desk_client, front_desk):
    intake = IntakeFactory()
    url = reverse("intake:intake-update", args=[intake.pk])
    data = form_data(desk_client.get(url))
    other = Client()
    other.force_login(UserFactory(username="desk2", role="Front desk"))
    assert other.post(url, dict(data, pain_now="3")).status_code == 302
    refused = desk_client.post(url, dict(data, pain_now="9"))
    assert refused.status_code == 200
    assert "Someone else saved this record" in " ".join(refused.context["form"].non_field_errors())
    assert Intake.objects.get(pk=intake.pk).pain_now == 3


def test_the_second_save_of_an_unsigned_session_is_refused(lac_client, acupuncturist):
    session = SessionFactory(plan=TreatmentPlanFactory(practitioner=acupuncturist))
    url = reverse("treatments:session-update", args=[session.pk])
    version = str(session.version)
    assert lac_client.post(url, session_form_data(points=["BL23"], pain_before="2", version=version)).status_code == 302
    refused = lac_client.post(url, session_form_data(points=["GB30"], pain_before="8", version=version))
    assert refused.status_code == 200
    assert "Someone else saved" in " ".join(refused.context["entry"].form.non_field_errors())
    session.refresh_from_db()
    assert session.pain_before == 2
    assert [p.point.code for p in session.points.all()] == ["BL23"]


def test_a_race_past_the_form_check_still_loses(lac_client, acupuncturist):
    """Two saves validated at the same moment: the conditional UPDATE lets only one through."""
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    url = reverse("treatments:plan-update", args=[plan.pk])
    real_save = TreatmentPlan.save

    def save_after_a_colleague(self, *args, **kwargs):
        TreatmentPlan.objects.filter(pk=self.pk).update(version=self.version + 1, goals="Colleague")
        return real_save(self, *args, **kwargs)

    with mock.patch.object(TreatmentPlan, "save", save_after_a_colleague):
        refused = lac_client.post(url, dict(plan_data(goals="Mine", status="active"), version=str(plan.version)))
    assert "Someone else saved" in " ".join(refused.context["form"].non_field_errors())
    assert TreatmentPlan.objects.get(pk=plan.pk).goals == "Colleague"


def test_the_model_refuses_a_stale_save(acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    first, second = TreatmentPlan.objects.get(pk=plan.pk), TreatmentPlan.objects.get(pk=plan.pk)
    first.goals = "first"
    first.save()
    second.goals = "second"
    with pytest.raises(StaleRecordError):
        second.save()
    assert TreatmentPlan.objects.get(pk=plan.pk).goals == "first"


def test_partial_saves_bump_the_version_too(acupuncturist):
    session = SessionFactory(plan=TreatmentPlanFactory(practitioner=acupuncturist))
    session.pain_after = 1
    session.save(update_fields=["pain_after"])
    assert Session.objects.get(pk=session.pk).version == session.version == 1
