import pytest

from treatments import billing
from treatments.billing import CptLine, cpt_lines, timed_units


def expected_units(minutes: int) -> int:
    # Written out as the 8-minute rule's table rather than its formula.
    bands = [(0, 7, 0), (8, 22, 1), (23, 37, 2), (38, 52, 3), (53, 67, 4), (68, 82, 5), (83, 97, 6), (98, 112, 7)]
    bands.append((113, 127, 8))
    for low, high, units in bands:
        if low <= minutes <= high:
            return units
    raise AssertionError(minutes)


@pytest.mark.parametrize("minutes", range(0, 121))
def test_timed_units_table(minutes):
    assert timed_units(minutes) == expected_units(minutes)


@pytest.mark.parametrize("minutes", range(0, 121))
@pytest.mark.parametrize("electro", [False, True])
def test_cpt_lines_for_every_minute(minutes, electro):
    lines = cpt_lines(contact_minutes=minutes, electroacupuncture=electro)
    units = expected_units(minutes)
    initial, additional = ("97813", "97814") if electro else ("97810", "97811")
    expected = []
    if units >= 1:
        expected.append(CptLine(initial, 1))
    if units >= 2:
        expected.append(CptLine(additional, units - 1))
    assert lines == expected
    codes = {line.code for line in lines}
    assert not {"97810", "97813"} <= codes, "never both initial codes"
    assert sum(line.units for line in lines) == units


@pytest.mark.parametrize(
    ("minutes", "electro", "expected"),
    [
        (7, False, []),
        (8, False, [CptLine("97810", 1)]),
        (22, False, [CptLine("97810", 1)]),
        (23, False, [CptLine("97810", 1), CptLine("97811", 1)]),
        (30, True, [CptLine("97813", 1), CptLine("97814", 1)]),
        (45, True, [CptLine("97813", 1), CptLine("97814", 2)]),
        (60, False, [CptLine("97810", 1), CptLine("97811", 3)]),
    ],
)
def test_cpt_lines_named_cases(minutes, electro, expected):
    assert cpt_lines(contact_minutes=minutes, electroacupuncture=electro) == expected


def test_tuina_is_manual_therapy_with_modifier_59_beside_acupuncture():
    lines = cpt_lines(contact_minutes=30, electroacupuncture=False, tuina_minutes=20)
    assert lines[-1] == CptLine("97140", 1, ("59",))


def test_tuina_alone_needs_no_modifier():
    assert cpt_lines(contact_minutes=5, electroacupuncture=False, tuina_minutes=30) == [CptLine("97140", 2)]


def test_short_tuina_is_not_billed():
    assert cpt_lines(contact_minutes=30, electroacupuncture=True, tuina_minutes=7) == [
        CptLine("97813", 1),
        CptLine("97814", 1),
    ]


def test_negative_minutes_are_refused():
    with pytest.raises(ValueError):
        timed_units(-1)


def test_every_line_has_a_description():
    assert CptLine("97814", 2).description.startswith("Acupuncture, with electrical stimulation")


@pytest.mark.parametrize(
    ("raw", "code"),
    [("M54.50", "M54.50"), ("m5450", "M54.50"), (" m54.42 ", "M54.42"), ("M51.16", "M51.16"), ("S33.5XXA", "S33.5XXA")],
)
def test_valid_icd10_codes_are_normalised(raw, code):
    assert billing.validate_icd10(raw) == code


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("M54.5", "deleted in October 2021"),
        ("m545", "deleted in October 2021"),
        ("M54.4", "M54.40, M54.41 or M54.42"),
        ("M54.3", "M54.30"),
        ("M54", "chapter heading"),
        ("54.50", "not an ICD-10-CM code"),
        ("M5", "not an ICD-10-CM code"),
        ("M54.50000", "not an ICD-10-CM code"),
        ("U07.1", "not an ICD-10-CM code"),
        ("sciatica", "not an ICD-10-CM code"),
    ],
)
def test_invalid_icd10_codes_say_why(raw, message):
    with pytest.raises(ValueError, match=message):
        billing.validate_icd10(raw)


def test_common_codes_are_all_valid_and_described():
    for code, text in billing.COMMON_ICD10:
        assert billing.validate_icd10(code) == code
        assert billing.describe_icd10(code) == text
    assert billing.describe_icd10("Z99.9") == ""
