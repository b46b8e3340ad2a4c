"""Patient links: unguessable, hashed at rest, scoped, expiring, single-use, rate limited."""

import hashlib
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from clinic.links import hash_token, issue_link, resolve_token, spend_link
from clinic.models import PatientLink


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


def test_token_is_256_bits_and_only_its_hash_is_stored(patient):
    link, token = issue_link(patient=patient, purpose="intake")
    assert len(token) >= 43  # 32 bytes of URL-safe base64
    stored = PatientLink.objects.get()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = PatientLink.objects.filter(pk=link.pk).values().get()
    assert token not in {str(value) for value in row.values()}


def test_tokens_differ_every_time(patient):
    tokens = {issue_link(patient=patient, purpose="intake")[1] for _ in range(20)}
    assert len(tokens) == 20


def test_resolve_finds_a_fresh_link(patient):
    link, token = issue_link(patient=patient, purpose="intake")
    assert resolve_token(token) == link
    assert resolve_token(token, purpose="intake") == link


def test_wrong_purpose_is_refused(patient):
    _, token = issue_link(patient=patient, purpose="intake")
    assert resolve_token(token, purpose="questionnaire") is None


def test_expired_link_is_refused(patient):
    link, token = issue_link(patient=patient, purpose="intake", ttl=timedelta(days=1))
    PatientLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert resolve_token(token) is None


def test_used_link_is_refused_and_cannot_be_spent_twice(patient):
    link, token = issue_link(patient=patient, purpose="intake")
    assert spend_link(link) is True
    assert spend_link(link) is False
    assert resolve_token(token) is None


def test_a_new_link_revokes_the_old_one(patient):
    _, old = issue_link(patient=patient, purpose="intake")
    _, new = issue_link(patient=patient, purpose="intake")
    assert resolve_token(old) is None
    assert resolve_token(new) is not None


@pytest.mark.parametrize("token", ["", "x", "a" * 500, "../../etc/passwd", "%00"])
def test_garbage_tokens_resolve_to_nothing(db, token):
    assert resolve_token(token) is None


def test_hash_is_sha256_hex():
    assert hash_token("abc") == hashlib.sha256(b"abc").hexdigest()


def test_opening_a_link_redirects_to_a_url_without_the_token(client, patient):
    _, token = issue_link(patient=patient, purpose="intake")
    response = client.get(reverse("clinic:link-open", args=[token]))
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:patient-intake")
    assert token not in response["Location"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    # The form pages send no Referer anywhere either (their posts' CSRF check: tests/test_probe_fixes.py).
    assert page["Referrer-Policy"] == "no-referrer"


def test_the_patient_page_shows_only_the_first_name(client, patient):
    patient.family_name = "Quennell-Marsh"  # distinctive, so it cannot occur by chance in the page text
    patient.save()
    _, token = issue_link(patient=patient, purpose="intake")
    body = client.get(reverse("clinic:link-open", args=[token]), follow=True).content.decode()
    assert f"Hello {patient.given_name}" in body
    assert patient.family_name not in body
    assert patient.chart_number not in body
    assert str(patient.date_of_birth.year) not in body


def test_every_use_is_audited(client, patient):
    link, token = issue_link(patient=patient, purpose="intake")
    client.get(reverse("clinic:link-open", args=[token]), REMOTE_ADDR="203.0.113.9")
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS, object_pk=str(link.pk))
    assert entry.remote_addr == "203.0.113.9"
    assert entry.additional_data["patient_id"] == patient.pk


def test_invalid_expired_and_used_links_get_the_same_friendly_page(client, patient):
    link, token = issue_link(patient=patient, purpose="intake")
    bogus = client.get(reverse("clinic:link-open", args=["nope" * 10]))
    spend_link(link)
    used = client.get(reverse("clinic:link-open", args=[token]))
    assert bogus.status_code == used.status_code == 404
    assert bogus.content == used.content
    assert bogus["Referrer-Policy"] == used["Referrer-Policy"] == "no-referrer"
    assert "This link cannot be used" in bogus.content.decode()


def test_link_attempts_are_rate_limited(client, patient, settings):
    _, token = issue_link(patient=patient, purpose="intake")
    for _ in range(30):
        client.get(reverse("clinic:link-open", args=["guess" * 9]), REMOTE_ADDR="198.51.100.7")
    # Past the limit even a real token gets the friendly page from that address.
    response = client.get(reverse("clinic:link-open", args=[token]), REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 404
    other = client.get(reverse("clinic:link-open", args=[token]), REMOTE_ADDR="198.51.100.8")
    assert other.status_code == 302


# --- the one flow both patient forms use --------------------------------------------------------


def test_every_purpose_lands_on_a_page_and_has_its_thank_you_page():
    from django.template.loader import get_template

    from clinic.links import PURPOSES

    assert set(PURPOSES) == {"intake", "questionnaire"}
    for purpose in PURPOSES.values():
        assert reverse(purpose.landing)
        get_template(purpose.done_template)
        get_template(purpose.email_template)


def test_a_questionnaire_link_names_its_questionnaire(objects):
    questionnaire = objects.questionnaire
    link, _ = issue_link(patient=questionnaire.patient, purpose="questionnaire", subject=questionnaire)
    assert PatientLink.objects.get(pk=link.pk).subject == questionnaire
    assert str(link) == f"Weekly questionnaire link for {questionnaire.patient}"


def test_an_intake_link_names_no_subject(patient):
    link, _ = issue_link(patient=patient, purpose="intake")
    assert link.subject_type is None and link.subject_id is None and link.subject is None


def _opened(client, link_token) -> None:
    assert client.get(reverse("clinic:link-open", args=[link_token])).status_code == 302


@pytest.mark.parametrize(
    ("purpose", "form_url", "bad_post"),
    [
        ("intake", "intake:patient-intake", {"pain_now": "12"}),
        ("questionnaire", "outcomes:patient-warning-signs", {"saddle_numbness": "maybe"}),
    ],
)
def test_both_patient_forms_answer_an_invalid_submission_with_400(client, objects, purpose, form_url, bad_post):
    questionnaire = objects.questionnaire
    subject = questionnaire if purpose == "questionnaire" else None
    _, token = issue_link(patient=questionnaire.patient, purpose=purpose, subject=subject)
    _opened(client, token)
    assert client.post(reverse(form_url), bad_post).status_code == 400


@pytest.mark.parametrize(
    ("url", "kwargs"),
    [
        ("intake:intake-link-create", lambda r: [r.patient.pk]),
        ("outcomes:questionnaire-link-create", lambda r: [r.patient.pk, r.due_date.isoformat()]),
    ],
)
def test_both_handout_pages_show_the_link_once_with_a_qr_code(desk_client, objects, url, kwargs):
    page = desk_client.post(reverse(url, args=kwargs(objects.questionnaire)))
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    assert page.context["url"].startswith("http://testserver/l/")
    assert 'role="img" aria-label="QR code of the link"><svg' in page.content.decode()


def _handout(page) -> str:
    body = page.content.decode()
    start = body.index('<section class="link-handout')
    return body[start : body.index("</section>", start)]


@pytest.mark.parametrize(
    ("url", "kwargs", "label", "days"),
    [
        ("intake:intake-link-create", lambda r: [r.patient.pk], "pre-visit intake", 14),
        ("outcomes:questionnaire-link-create", lambda r: [r.patient.pk, r.due_date.isoformat()], "weekly", 7),
    ],
)
def test_the_handout_names_the_patient_purpose_lifetime_and_whom_to_call(
    desk_client, objects, settings, url, kwargs, label, days
):
    from clinic.models import Location

    location = Location.objects.get()
    location.phone = "(555) 010-9999"
    location.save()
    patient = objects.questionnaire.patient
    patient.given_name = "D'Arcy"
    patient.save()
    page = desk_client.post(reverse(url, args=kwargs(objects.questionnaire)))
    assert page["Cache-Control"] == "no-store"  # the page holds a working link
    handout = _handout(page)
    link = page.context["link"]
    expires = timezone.localtime(link.expires_at)
    # The lifetime the handout states is the link's own.
    assert abs(link.expires_at - link.created_at - timedelta(days=days)) < timedelta(seconds=5)
    assert "For <strong>D&#x27;Arcy</strong>: " + label in handout
    assert f"at the latest until {expires:%A}, {expires:%B} {expires.day}, {expires.year} at {expires:%H:%M}" in handout
    assert f"({days} days from today)" in handout
    assert f"Call {settings.CLINIC_NAME.replace('&', '&amp;')} on (555) 010-9999." in handout
    assert page.context["url"] in handout
    # The QR code is drawn here, inline: the token goes to no other service.
    assert 'role="img" aria-label="QR code of the link"><svg' in handout
    assert "<img" not in handout and "http" not in handout.replace(page.context["url"], "").replace(
        "http://www.w3.org/2000/svg", ""
    )


def test_the_handout_gives_a_location_s_own_name_and_phone(desk_client, front_desk, objects, settings):
    from clinic.models import Location, StaffProfile

    branch = Location.objects.create(name="Westfield", phone="(555) 010-7777")
    StaffProfile.objects.get_or_create(user=front_desk)[0].locations.add(branch)
    patient = objects.patient
    patient.location = branch
    patient.save()
    page = desk_client.post(reverse("intake:intake-link-create", args=[patient.pk]))
    assert page.status_code == 200
    handout = _handout(page)
    name = f"{settings.CLINIC_NAME} — Westfield".replace("&", "&amp;")
    assert f'<h3 class="h5" id="handout-heading">{name}</h3>' in handout
    assert f"Call {name} on (555) 010-7777." in handout


def test_the_link_page_offers_copy_and_print_from_its_own_script(desk_client, objects):
    page = desk_client.post(reverse("intake:intake-link-create", args=[objects.patient.pk]))
    body = page.content.decode()
    assert '<label class="form-label" for="link-url">' in body
    assert 'id="copy-link" hidden>Copy the link</button>' in body  # shown by the script
    assert 'id="print-handout" hidden>Print the handout</button>' in body
    assert 'role="status" aria-live="polite"' in body
    assert '<script src="/static/js/link_page.js" defer></script>' in body
    assert '<link rel="stylesheet" href="/static/css/link_handout.css">' in body
    assert "<script>" not in body  # nothing inline: the CSP forbids it


def test_the_staff_paragraph_and_the_handout_give_one_expiry_on_the_locations_clock(
    desk_client, front_desk, objects, settings
):
    from zoneinfo import ZoneInfo

    from clinic.models import Location, StaffProfile

    settings.TIME_ZONE = "America/Chicago"
    branch = Location.objects.create(name="Honolulu", phone="(808) 555-0100", time_zone="Pacific/Honolulu")
    StaffProfile.objects.get_or_create(user=front_desk)[0].locations.add(branch)
    patient = objects.patient
    patient.location = branch
    patient.save()
    page = desk_client.post(reverse("intake:intake-link-create", args=[patient.pk]))
    expires = page.context["link"].expires_at.astimezone(ZoneInfo("Pacific/Honolulu"))
    body = page.content.decode()
    assert f"at the latest until {expires:%b} {expires.day}, {expires.year} {expires:%H:%M};" in body
    assert f"{expires:%B} {expires.day}, {expires.year} at {expires:%H:%M}" in _handout(page)
