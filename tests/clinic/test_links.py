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
