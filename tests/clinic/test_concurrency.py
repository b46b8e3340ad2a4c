"""No lost updates: two staff editing the same record (intake, plan, unsigned session)."""

from html.parser import HTMLParser
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from clinic.concurrency import UNVERSIONED_MESSAGE, StaleRecordError
from intake.forms import IntakeForm
from intake.models import Intake
from tests.factories import IntakeFactory, SessionFactory, TreatmentPlanFactory, UserFactory, session_form_data
from tests.treatments.test_plans import plan_data
from treatments.models import Session, TreatmentPlan


class _PostForms(HTMLParser):
    """The fields of each POST form on a page, valued as a browser submits them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, list[str]]] = []
        self._form = self._textarea = self._select = None
        self._in_template = 0

    def _add(self, name, value):
        self._form.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "template":
            self._in_template += 1
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {}
            self.forms.append(self._form)
        if self._form is None or self._in_template or not a.get("name") and tag != "option":
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._add(a["name"], a.get("value", "on"))
            elif kind not in ("submit", "button"):
                self._add(a["name"], a.get("value") or "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self._add(self._textarea, "")
        elif tag == "select":
            self._select = [a["name"], None]
        elif tag == "option" and self._select is not None and (self._select[1] is None or "selected" in a):
            self._select[1] = a.get("value", "")  # the first option unless one is selected

    def handle_data(self, data):
        if self._textarea:
            self._form[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "template":
            self._in_template -= 1
        elif tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea:
            self._form[self._textarea][-1] = self._form[self._textarea][-1].removeprefix("\n")
            self._textarea = None
        elif tag == "select" and self._select is not None:
            self._add(self._select[0], self._select[1] or "")
            self._select = None


def posted_by_browser(response) -> dict:
    """What a browser posts from the page's main form: the rendered HTML only, never the view's context."""
    parser = _PostForms()
    parser.feed(response.content.decode())
    form = max(parser.forms, key=len)
    form.pop("csrfmiddlewaretoken", None)
    return {name: values if len(values) > 1 else values[0] for name, values in form.items()}


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


# --- the version as a browser sends it: from the rendered page ------------------------------


def test_two_browsers_saving_one_intake_the_second_is_refused(desk_client, front_desk):
    intake = IntakeFactory()
    url = reverse("intake:intake-update", args=[intake.pk])
    mine = posted_by_browser(desk_client.get(url))
    colleague = Client()
    colleague.force_login(UserFactory(username="desk2", role="Front desk"))
    theirs = posted_by_browser(colleague.get(url))
    assert mine["version"] == theirs["version"] == str(intake.version)
    assert colleague.post(url, dict(theirs, pain_now="3")).status_code == 302
    refused = desk_client.post(url, dict(mine, pain_now="9"))
    assert refused.status_code == 200
    assert "Someone else saved this record" in " ".join(refused.context["form"].non_field_errors())
    assert "Someone else saved this record" in refused.content.decode()
    assert Intake.objects.get(pk=intake.pk).pain_now == 3


def test_two_browsers_saving_one_session_the_second_is_refused(lac_client, acupuncturist):
    session = SessionFactory(plan=TreatmentPlanFactory(practitioner=acupuncturist), points=["BL23"])
    url = reverse("treatments:session-update", args=[session.pk])
    mine = posted_by_browser(lac_client.get(url))
    colleague = Client()
    colleague.force_login(acupuncturist)
    theirs = posted_by_browser(colleague.get(url))
    assert mine["session-version"] == theirs["session-version"] == str(session.version)
    assert colleague.post(url, dict(theirs, **{"session-pain_before": "2"})).status_code == 302
    refused = lac_client.post(url, dict(mine, **{"session-pain_before": "8"}))
    assert refused.status_code == 200
    assert "Someone else saved this record" in refused.content.decode()
    assert Session.objects.get(pk=session.pk).pain_before == 2


def test_two_browsers_saving_one_plan_the_second_is_refused(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist, planned_sessions=10)
    url = reverse("treatments:plan-update", args=[plan.pk])
    mine = posted_by_browser(lac_client.get(url))
    colleague = Client()
    colleague.force_login(acupuncturist)
    assert colleague.post(url, dict(posted_by_browser(colleague.get(url)), planned_sessions="8")).status_code == 302
    refused = lac_client.post(url, dict(mine, planned_sessions="12"))
    assert "Someone else saved this record" in refused.content.decode()
    assert TreatmentPlan.objects.get(pk=plan.pk).planned_sessions == 8


@pytest.mark.parametrize("version", [None, "", "abc", "-1"])
def test_an_edit_posted_without_its_version_is_refused_with_a_message_and_kept(lac_client, acupuncturist, version):
    session = SessionFactory(plan=TreatmentPlanFactory(practitioner=acupuncturist), pain_before=5)
    url = reverse("treatments:session-update", args=[session.pk])
    data = session_form_data(points=["BL23"], pain_before="8", subjective="typed at length")
    if version is not None:
        data["session-version"] = version
    refused = lac_client.post(url, data)
    assert refused.status_code == 200
    html = refused.content.decode()
    assert UNVERSIONED_MESSAGE in html
    assert "typed at length" in html
    assert Session.objects.get(pk=session.pk).pain_before == 5
    # The page now carries the record's current version: saving it again, knowingly, goes through.
    assert lac_client.post(url, posted_by_browser(refused)).status_code == 302
    assert Session.objects.get(pk=session.pk).pain_before == 8


def test_a_new_record_needs_no_version(lac_client, acupuncturist):
    plan = TreatmentPlanFactory(practitioner=acupuncturist)
    data = session_form_data(points=["BL23"])
    assert "session-version" not in data
    assert lac_client.post(reverse("treatments:session-create", args=[plan.pk]), data).status_code == 302


def _save_after_a_colleague(model):
    real_save = model.save

    def save(self, *args, **kwargs):
        model.objects.filter(pk=self.pk).update(version=self.version + 1)
        return real_save(self, *args, **kwargs)

    return mock.patch.object(model, "save", save)


def test_a_lost_race_without_a_form_version_says_so_without_crashing(lac_client):
    """add_stale_error(None) diffs from the version the record was read at, not a TypeError."""
    intake = IntakeFactory()
    data = posted_by_browser(lac_client.get(reverse("intake:intake-update", args=[intake.pk])))
    form = IntakeForm(data, instance=Intake.objects.get(pk=intake.pk))
    assert form.is_valid(), form.errors
    with _save_after_a_colleague(Intake), pytest.raises(StaleRecordError):
        form.save()
    form.add_stale_error(None)
    assert "Someone else saved this record" in " ".join(form.non_field_errors())
    assert form.data["version"] == intake.version + 1


@pytest.mark.parametrize("kind", ["intake", "plan", "session"])
def test_a_race_lost_by_a_post_without_version_is_refused_not_a_500(desk_client, lac_client, acupuncturist, kind):
    if kind == "intake":
        record, client = IntakeFactory(), desk_client
        url = reverse("intake:intake-update", args=[record.pk])
        data = posted_by_browser(client.get(url))
        data.pop("version")
    elif kind == "plan":
        record, client = TreatmentPlanFactory(practitioner=acupuncturist), lac_client
        url = reverse("treatments:plan-update", args=[record.pk])
        data = plan_data(goals="Mine", status="active")
    else:
        record, client = SessionFactory(plan=TreatmentPlanFactory(practitioner=acupuncturist)), lac_client
        url = reverse("treatments:session-update", args=[record.pk])
        data = session_form_data(points=["BL23"], pain_before="2")
    with _save_after_a_colleague(type(record)):
        refused = client.post(url, data)
    assert refused.status_code == 200
    assert UNVERSIONED_MESSAGE in refused.content.decode()
    assert type(record).objects.get(pk=record.pk).version == record.version


# --- the message tells each user only what they may read (issue 15) --------------------------------


@pytest.mark.parametrize(("who", "sees_phq9"), [("desk_client", False), ("lac_client", True)])
def test_the_lost_race_message_names_only_fields_the_reader_may_read(request, roles, who, sees_phq9):
    """The front desk loses a race to a clinician who recorded PHQ-9 item 9: not told its answer."""
    from tests.factories import intake_defaults

    intake = IntakeFactory(**{f"phq9_{n}": None for n in range(1, 10)})  # a packet without its PHQ-9 page
    url = reverse("intake:intake-update", args=[intake.pk])
    loser = request.getfixturevalue(who)
    mine = posted_by_browser(loser.get(url))
    clinician = Client()
    clinician.force_login(UserFactory(username="lac2", role="Acupuncturist"))
    theirs = posted_by_browser(clinician.get(url))
    phq9 = {f"phq9_{n}": str(intake_defaults()[f"phq9_{n}"]) for n in range(1, 9)} | {"phq9_9": "2"}
    assert clinician.post(url, dict(theirs, **phq9, pain_now="3")).status_code == 302
    mine.update({key: value for key, value in phq9.items() if key in mine})  # the loser's form may offer it too
    refused = loser.post(url, dict(mine, pain_now="9"))
    message = " ".join(refused.context["form"].non_field_errors())
    assert "Someone else saved this record" in message and "pain now (0-10): 6 → 3" in message
    assert ("PHQ-9 item 9: — → 2" in message) is sees_phq9
    assert ("PHQ-9" in refused.content.decode().split("Someone else saved")[1].split("</div>")[0]) is sees_phq9
    if not sees_phq9:
        assert "other details your role does not show" in message


def test_no_reader_named_no_restricted_field_told(acupuncturist):
    from clinic.concurrency import changes_since

    intake = IntakeFactory()
    loaded = intake.version
    intake.phq9_9 = 3
    intake.save()
    from auditlog.models import LogEntry

    assert LogEntry.objects.get_for_object(intake).filter(action=LogEntry.Action.UPDATE).exists()
    lines = changes_since(intake, loaded)
    assert lines and "PHQ-9" not in lines[0] and "details your role does not show" in lines[0]
    assert "PHQ-9 item 9: 0 → 3" in changes_since(intake, loaded, acupuncturist)[0]
