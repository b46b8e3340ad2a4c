from django.template.loader import render_to_string

from intake.rules import CAUDA_EQUINA_KEYS
from outcomes.models import ODI_FIELDS
from outcomes.questionnaires import ODI_SECTION_KEYS, cauda_equina_questions, odi


def test_odi_has_ten_sections_of_six_statements_in_order():
    definition = odi()
    assert definition.version == "2.1a"
    assert tuple(s.key for s in definition.sections) == ODI_SECTION_KEYS
    assert all(len(s.statements) == 6 for s in definition.sections)
    assert definition.sections[3].statements[1] == "Pain prevents me from walking more than 1 mile"


def test_odi_carries_its_copyright_notice():
    assert "Fairbank" in odi().copyright and "Mapi Research Trust" in odi().copyright


def test_model_fields_follow_the_section_order():
    assert tuple(f"odi_{key}" for key in ODI_SECTION_KEYS) == ODI_FIELDS


def test_the_six_cauda_equina_questions_are_the_intake_red_flags():
    assert tuple(q.key for q in cauda_equina_questions()) == CAUDA_EQUINA_KEYS
    assert len(CAUDA_EQUINA_KEYS) == 6


def test_urgent_instructions_send_the_patient_to_emergency_care(rf, settings):
    settings.EMERGENCY_NUMBER = "112"
    html = render_to_string("patient/urgent_instructions.html", request=rf.get("/"))
    assert "emergency department today" in html
    assert '<a class="btn btn-danger btn-lg" href="tel:112">Call 112</a>' in html
    assert "911" not in html
