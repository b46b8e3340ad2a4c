"""Phone numbers as `tel:` links (RFC 3966: digits and a leading +, no spaces; an extension as `;ext=`)."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from clinic.phones import tel_link, tel_uri
from tests.factories import PatientFactory, SessionFactory


@pytest.mark.parametrize(
    ("number", "uri"),
    [
        ("(217) 555-0199", "tel:2175550199"),
        ("217.555.0199", "tel:2175550199"),
        ("217 555 0199", "tel:2175550199"),
        ("+1 (217) 555-0199", "tel:+12175550199"),
        ("  +44 20 7946 0958 ", "tel:+442079460958"),
        ("+49 (0)30 901820", "tel:+49030901820"),
        ("1-800-555-0100", "tel:18005550100"),
        ("911", "tel:911"),
        ("555-0100 ext. 12", "tel:5550100;ext=12"),
        ("555-0100 Ext 12", "tel:5550100;ext=12"),
        ("555-0100 extension 4", "tel:5550100;ext=4"),
        ("(555) 010-0100 x205", "tel:5550100100;ext=205"),
        ("555-0100 #7", "tel:5550100;ext=7"),
        ("", ""),
        (None, ""),
        ("   ", ""),
        ("unknown", ""),
    ],
)
def test_a_number_as_people_write_it_becomes_a_valid_tel_uri(number, uri):
    assert tel_uri(number) == uri


def test_the_uri_holds_only_what_rfc_3966_allows():
    for number in ("(217) 555-0199 ext. 3", "+1 217-555-0199", "tel: 555 0100"):
        uri = tel_uri(number)
        assert " " not in uri and uri.startswith("tel:")
        assert set(uri.removeprefix("tel:").replace(";ext=", "")) <= set("+0123456789")


def test_the_link_keeps_the_number_as_written_and_escapes_it():
    assert tel_link("(217) 555-0199") == '<a href="tel:2175550199">(217) 555-0199</a>'
    linked = '<a href="tel:+12175550199" class="text-reset">+1 217 555 0199</a>'
    assert tel_link("+1 217 555 0199", "text-reset") == linked
    assert tel_link("<b>555</b>") == '<a href="tel:555">&lt;b&gt;555&lt;/b&gt;</a>'
    assert tel_link("ask at desk") == "ask at desk"  # no digits: no link
    assert tel_link("") == "" and tel_link(None) == ""


def test_the_template_filters():
    template = Template('{% load clinic_tags %}<a href="{{ n|tel }}">{{ n }}</a> {{ n|phone_link }}')
    html = template.render(Context({"n": "(555) 010-2400"}))
    assert html == '<a href="tel:5550102400">(555) 010-2400</a> <a href="tel:5550102400">(555) 010-2400</a>'


# --- where numbers are shown ---------------------------------------------------------------------


@pytest.fixture
def patient():
    return PatientFactory(
        phone="(217) 555-0199", emergency_contact_name="Sam Reyes", emergency_contact_phone="+1 217 555 0142"
    )


def test_the_chart_links_the_patients_and_the_emergency_contacts_numbers(desk_client, patient):
    html = desk_client.get(reverse("pages:patient-detail", args=[patient.pk])).content.decode()
    assert '<a href="tel:2175550199">(217) 555-0199</a>' in html
    assert '<a href="tel:+12175550142">+1 217 555 0142</a>' in html


def test_the_patient_list_links_each_number(desk_client, patient):
    html = desk_client.get(reverse("clinic:patient-list"), {"q": patient.family_name}).content.decode()
    assert '<a href="tel:2175550199">(217) 555-0199</a>' in html


def test_the_superbill_links_the_clinics_number(lac_client, settings):
    settings.CLINIC_PHONE = "(555) 010-2400"
    session = SessionFactory(signed=True)
    html = lac_client.get(reverse("treatments:superbill", args=[session.pk])).content.decode()
    assert '<a href="tel:5550102400" class="text-reset">(555) 010-2400</a>' in html
