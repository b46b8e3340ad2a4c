"""The client's address, as the deployment's own proxies give it (issue 15): in the audit trail, the
patient-link rate limit and the sign-in lockouts. A forged X-Forwarded-For is never believed."""

import pytest
from auditlog.models import LogEntry
from django.test import Client, RequestFactory
from django.urls import reverse

from clinic.links import issue_link
from clinic.security import client_ip


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        (0, "", "192.0.2.10", "192.0.2.10"),
        (0, "203.0.113.7", "192.0.2.10", "192.0.2.10"),  # no proxy: a header anyone can send is ignored
        (1, "203.0.113.7", "10.0.0.2", "203.0.113.7"),  # the proxy appended the client it saw
        (1, "6.6.6.6, 203.0.113.7", "10.0.0.2", "203.0.113.7"),  # the client forged an entry before it
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.9", "10.0.0.2", "203.0.113.7"),  # two proxies
        (1, "203.0.113.7:51234", "10.0.0.2", "203.0.113.7"),
        (1, "[2001:db8::7]:443", "10.0.0.2", "2001:db8::7"),
        (1, "not-an-ip", "10.0.0.2", None),
        (1, "999.1.1.1", "10.0.0.2", None),
        (1, "", "10.0.0.2", None),  # behind a proxy that set nothing: not the proxy's own address
        (2, "203.0.113.7", "10.0.0.2", None),  # fewer entries than proxies: not through them all
        (0, "", "garbage", None),
    ],
)
def test_client_ip(settings, proxies, forwarded, remote, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    assert client_ip(request) == expected


@pytest.mark.parametrize(("proxies", "recorded"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_the_audit_trail_records_the_address_the_proxies_give(desk_client, patient, settings, proxies, recorded):
    settings.TRUSTED_PROXY_COUNT = proxies
    desk_client.get(reverse("pages:patient-detail", args=[patient.pk]), HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).latest("timestamp").remote_addr == recorded


@pytest.mark.parametrize("forged", ["not-an-ip", "999.1.1.1", "1.2.3.4.5", "<script>", "a" * 300])
def test_a_malformed_address_is_recorded_as_unknown_not_an_error_page(desk_client, patient, settings, forged):
    settings.TRUSTED_PROXY_COUNT = 1
    desk_client.raise_request_exception = True
    page = desk_client.get(reverse("pages:patient-detail", args=[patient.pk]), HTTP_X_FORWARDED_FOR=forged)
    assert page.status_code == 200
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).latest("timestamp").remote_addr is None


# --- the patient-link rate limit ----------------------------------------------------------------


def open_link(client: Client, token: str, address: str) -> int:
    return client.get(reverse("clinic:link-open", args=[token]), HTTP_X_FORWARDED_FOR=address).status_code


def test_behind_the_proxy_each_patient_has_their_own_budget(settings, patient):
    settings.TRUSTED_PROXY_COUNT, settings.PATIENT_LINK_RATE = 1, "3/h"
    # Four bad guesses from one address use its budget up; it is refused even a real link after that.
    for _ in range(3):
        assert open_link(Client(), "not-a-real-token", "203.0.113.7") == 404
    _, token = issue_link(patient=patient, purpose="questionnaire")
    assert open_link(Client(), token, "203.0.113.7") == 404
    # Another patient, through the same proxy, is not held up by that.
    assert open_link(Client(), token, "198.51.100.4") == 302


def test_one_link_is_limited_wherever_the_attempts_come_from(settings, patient):
    settings.TRUSTED_PROXY_COUNT, settings.PATIENT_LINK_TOKEN_RATE = 1, "2/h"
    _, token = issue_link(patient=patient, purpose="questionnaire")
    assert [open_link(Client(), token, f"203.0.113.{n}") for n in range(1, 4)] == [302, 302, 404]


def test_the_lockout_counts_the_client_behind_the_proxy(settings, front_desk):
    from axes.models import AccessAttempt

    settings.TRUSTED_PROXY_COUNT = 1
    client = Client()
    client.post(
        reverse("clinic:login"), {"username": "desk", "password": "wrong"}, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )
    assert AccessAttempt.objects.get(username="desk").ip_address == "203.0.113.7"
