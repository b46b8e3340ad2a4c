from datetime import UTC, date, datetime, timedelta
from itertools import product

import pytest

from treatments import billing
from treatments.billing import CptLine, SessionTime, cpt_lines, day_cpt_lines, timed_units


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


def all_reinserted(minutes: int) -> int:
    """The re-insertions that let every further unit of time bill an add-on (the rule before they counted)."""
    return max(expected_units(minutes) - 1, 0)


@pytest.mark.parametrize("minutes", range(0, 121))
@pytest.mark.parametrize("electro", [False, True])
@pytest.mark.parametrize("reinsertions", [0, 1, 3, None, 20])
def test_cpt_lines_for_every_minute(minutes, electro, reinsertions):
    if reinsertions is None:
        reinsertions = all_reinserted(minutes)
    lines = cpt_lines(contact_minutes=minutes, electroacupuncture=electro, reinsertions=reinsertions)
    units = expected_units(minutes)
    add_ons = min(units - 1, reinsertions) if units else 0
    initial, additional = ("97813", "97814") if electro else ("97810", "97811")
    expected = []
    if units >= 1:
        expected.append(CptLine(initial, 1))
    if add_ons:
        expected.append(CptLine(additional, add_ons))
    assert lines == expected
    codes = {line.code for line in lines}
    assert not {"97810", "97813"} <= codes, "never both initial codes"
    assert sum(line.units for line in lines) == (1 + add_ons if units else 0) <= units


@pytest.mark.parametrize(
    ("minutes", "electro", "reinsertions", "expected"),
    [
        (7, False, 3, []),
        (8, False, 0, [CptLine("97810", 1)]),
        (22, False, 2, [CptLine("97810", 1)]),
        (23, False, 1, [CptLine("97810", 1), CptLine("97811", 1)]),
        (30, True, 1, [CptLine("97813", 1), CptLine("97814", 1)]),
        (45, True, 2, [CptLine("97813", 1), CptLine("97814", 2)]),
        (60, False, 3, [CptLine("97810", 1), CptLine("97811", 3)]),
    ],
)
def test_cpt_lines_named_cases(minutes, electro, reinsertions, expected):
    assert cpt_lines(contact_minutes=minutes, electroacupuncture=electro, reinsertions=reinsertions) == expected


# --- each additional 15 minutes needs a re-insertion of needles --------------------------------


@pytest.mark.parametrize(
    ("minutes", "reinsertions", "add_ons"),
    [
        (30, 0, 0),  # the defect: one insertion left in for 30 minutes was billed 97810 + 97811
        (30, 1, 1),
        (60, 1, 1),
        (60, 3, 3),
        (60, 5, 3),  # re-insertions beyond the time bill nothing more
        (15, 2, 0),  # one unit of time: no add-on, however often the needles went back in
    ],
)
@pytest.mark.parametrize(("electro", "initial", "additional"), [(False, "97810", "97811"), (True, "97813", "97814")])
def test_add_on_units_are_the_fewer_of_further_units_and_reinsertions(
    minutes, reinsertions, add_ons, electro, initial, additional
):
    lines = cpt_lines(contact_minutes=minutes, electroacupuncture=electro, reinsertions=reinsertions)
    assert lines == [CptLine(initial, 1)] + ([CptLine(additional, add_ons)] if add_ons else [])


def test_thirty_minutes_with_one_insertion_bills_the_initial_code_only():
    assert cpt_lines(contact_minutes=30, electroacupuncture=False, reinsertions=0) == [CptLine("97810", 1)]
    assert cpt_lines(contact_minutes=30, electroacupuncture=True, reinsertions=0) == [CptLine("97813", 1)]


def test_negative_reinsertions_are_refused():
    with pytest.raises(ValueError, match="Re-insertions cannot be negative"):
        cpt_lines(contact_minutes=30, electroacupuncture=False, reinsertions=-1)


def test_tuina_to_a_separate_region_beside_acupuncture_carries_xs():
    lines = cpt_lines(
        contact_minutes=30, electroacupuncture=False, reinsertions=1, tuina_minutes=20, tuina_separate_region=True
    )
    assert lines[-1] == CptLine("97140", 1, ("XS",))


def test_tuina_beside_acupuncture_without_a_separate_region_has_no_modifier_and_bundles():
    lines = cpt_lines(contact_minutes=30, electroacupuncture=True, reinsertions=1, tuina_minutes=20)
    assert lines[-1] == CptLine("97140", 1, (), bundled=True)


def test_modifier_59_is_never_added_automatically():
    for separate in (False, True):
        lines = cpt_lines(
            contact_minutes=45,
            electroacupuncture=False,
            reinsertions=2,
            tuina_minutes=30,
            tuina_separate_region=separate,
        )
        assert all("59" not in line.modifiers for line in lines)


def test_tuina_units_do_not_need_reinsertions():
    lines = cpt_lines(contact_minutes=30, electroacupuncture=False, reinsertions=0, tuina_minutes=30)
    assert lines == [CptLine("97810", 1), CptLine("97140", 2, bundled=True)]


@pytest.mark.parametrize("separate", [False, True])
def test_tuina_alone_needs_no_modifier_and_does_not_bundle(separate):
    lines = cpt_lines(
        contact_minutes=5, electroacupuncture=False, reinsertions=0, tuina_minutes=30, tuina_separate_region=separate
    )
    assert lines == [CptLine("97140", 2)]


@pytest.mark.parametrize("separate", [False, True])
def test_no_tuina_no_97140_line(separate):
    lines = cpt_lines(
        contact_minutes=30, electroacupuncture=False, reinsertions=1, tuina_minutes=0, tuina_separate_region=separate
    )
    assert [line.code for line in lines] == ["97810", "97811"]


def test_short_tuina_is_not_billed():
    assert cpt_lines(contact_minutes=30, electroacupuncture=True, reinsertions=1, tuina_minutes=7) == [
        CptLine("97813", 1),
        CptLine("97814", 1),
    ]


def test_negative_minutes_are_refused():
    with pytest.raises(ValueError):
        timed_units(-1)


def test_every_line_has_a_description():
    assert CptLine("97814", 2).description.startswith("Acupuncture, with electrical stimulation")


# --- one initial code per day ----------------------------------------------------------------

DAY = date(2025, 3, 4)
INITIALS = {"97810", "97813"}


def visit(
    id: int,
    hour: int,
    minutes: int,
    electro: bool = False,
    tuina: int = 0,
    day: date = DAY,
    reinsertions: int | None = None,
    separate: bool = False,
) -> SessionTime:
    """A session; unless told, with a re-insertion for every further unit of its time."""
    return SessionTime(
        id=id,
        service_date=day,
        started_at=datetime(day.year, day.month, day.day, hour, tzinfo=UTC),
        contact_minutes=minutes,
        electroacupuncture=electro,
        reinsertions=all_reinserted(minutes) if reinsertions is None else reinsertions,
        tuina_minutes=tuina,
        tuina_separate_region=separate,
    )


def initial_codes(lines_by_session: dict[int, list[CptLine]]) -> list[str]:
    return [line.code for lines in lines_by_session.values() for line in lines if line.code in INITIALS]


@pytest.mark.parametrize("minutes", [0, 7, 8, 22, 23, 45, 60])
@pytest.mark.parametrize("electro", [False, True])
@pytest.mark.parametrize("tuina", [0, 20])
@pytest.mark.parametrize("reinsertions", [0, 1, 5])
@pytest.mark.parametrize("separate", [False, True])
def test_one_session_bills_as_a_session_on_its_own(minutes, electro, tuina, reinsertions, separate):
    assert day_cpt_lines([visit(1, 9, minutes, electro, tuina, reinsertions=reinsertions, separate=separate)]) == {
        1: cpt_lines(
            contact_minutes=minutes,
            electroacupuncture=electro,
            reinsertions=reinsertions,
            tuina_minutes=tuina,
            tuina_separate_region=separate,
        )
    }


def test_no_sessions_no_lines():
    assert day_cpt_lines([]) == {}


def test_two_sessions_without_stimulation_bill_one_97810():
    assert day_cpt_lines([visit(1, 9, 30), visit(2, 14, 30)]) == {
        1: [CptLine("97810", 1), CptLine("97811", 1)],
        2: [CptLine("97811", 2)],
    }


def test_two_sessions_with_stimulation_bill_one_97813():
    assert day_cpt_lines([visit(1, 9, 30, electro=True), visit(2, 14, 20, electro=True)]) == {
        1: [CptLine("97813", 1), CptLine("97814", 1)],
        2: [CptLine("97814", 1)],
    }


def test_stimulation_only_in_the_second_session_keeps_97810_and_adds_97814():
    assert day_cpt_lines([visit(1, 9, 15), visit(2, 14, 30, electro=True)]) == {
        1: [CptLine("97810", 1)],
        2: [CptLine("97814", 2)],
    }


def test_stimulation_only_in_the_first_session_keeps_97813_and_adds_97811():
    assert day_cpt_lines([visit(1, 9, 15, electro=True), visit(2, 14, 30)]) == {
        1: [CptLine("97813", 1)],
        2: [CptLine("97811", 2)],
    }


def test_three_sessions_on_one_day_bill_one_initial_code():
    # The reviewer's case: three signed sessions billed 97810 twice and 97810 + 97813.
    lines = day_cpt_lines([visit(1, 9, 30), visit(2, 12, 20, electro=True), visit(3, 16, 40)])
    assert lines == {
        1: [CptLine("97810", 1), CptLine("97811", 1)],
        2: [CptLine("97814", 1)],
        3: [CptLine("97811", 3)],
    }
    assert initial_codes(lines) == ["97810"]


def test_the_first_session_by_start_time_takes_the_initial_code_whatever_the_order_given():
    lines = day_cpt_lines([visit(1, 15, 30), visit(2, 8, 30, electro=True)])
    assert lines == {2: [CptLine("97813", 1), CptLine("97814", 1)], 1: [CptLine("97811", 2)]}


def test_sessions_starting_at_the_same_time_are_ordered_by_id():
    lines = day_cpt_lines([visit(7, 9, 20, electro=True), visit(5, 9, 20)])
    assert lines == {5: [CptLine("97810", 1)], 7: [CptLine("97814", 1)]}


def test_sessions_on_different_days_each_bill_an_initial_code():
    tomorrow = DAY + timedelta(days=1)
    lines = day_cpt_lines([visit(1, 9, 30), visit(2, 9, 30, electro=True, day=tomorrow), visit(3, 14, 15)])
    assert lines == {
        1: [CptLine("97810", 1), CptLine("97811", 1)],
        3: [CptLine("97811", 1)],
        2: [CptLine("97813", 1), CptLine("97814", 1)],
    }


def test_the_day_is_the_date_of_service_not_the_utc_date():
    # 23:30 and 00:30 UTC are the same clinic date when the caller says so; the rule trusts service_date.
    late = SessionTime(1, DAY, datetime(2025, 3, 4, 23, 30, tzinfo=UTC), 20, False, 0)
    later = SessionTime(2, DAY, datetime(2025, 3, 5, 0, 30, tzinfo=UTC), 20, False, 0)
    assert day_cpt_lines([late, later]) == {1: [CptLine("97810", 1)], 2: [CptLine("97811", 1)]}


def test_a_first_session_under_the_minimum_bills_nothing_and_leaves_the_initial_code():
    assert billing.MINIMUM_UNIT_MINUTES == 8
    lines = day_cpt_lines([visit(1, 9, 7, electro=True), visit(2, 14, 30)])
    assert lines == {1: [], 2: [CptLine("97810", 1), CptLine("97811", 1)]}


def test_a_first_session_of_exactly_the_minimum_takes_the_initial_code():
    assert day_cpt_lines([visit(1, 9, 8), visit(2, 14, 8)]) == {1: [CptLine("97810", 1)], 2: [CptLine("97811", 1)]}


def test_a_later_session_under_the_minimum_bills_nothing():
    assert day_cpt_lines([visit(1, 9, 30), visit(2, 14, 7, electro=True)]) == {
        1: [CptLine("97810", 1), CptLine("97811", 1)],
        2: [],
    }


def test_a_day_with_no_billable_acupuncture_has_no_initial_code():
    assert day_cpt_lines([visit(1, 9, 5), visit(2, 14, 7)]) == {1: [], 2: []}


def test_tuina_to_a_separate_region_beside_acupuncture_in_another_session_of_the_day_carries_xs():
    lines = day_cpt_lines([visit(1, 9, 30), visit(2, 14, 0, tuina=30, separate=True)])
    assert lines[2] == [CptLine("97140", 2, ("XS",))]
    tuina_first = day_cpt_lines([visit(1, 9, 0, tuina=30, separate=True), visit(2, 14, 20)])
    assert tuina_first == {1: [CptLine("97140", 2, ("XS",))], 2: [CptLine("97810", 1)]}


def test_tuina_beside_acupuncture_in_another_session_of_the_day_bundles_without_a_separate_region():
    lines = day_cpt_lines([visit(1, 9, 30), visit(2, 14, 0, tuina=30)])
    assert lines[2] == [CptLine("97140", 2, bundled=True)]
    tuina_first = day_cpt_lines([visit(1, 9, 0, tuina=30), visit(2, 14, 20)])
    assert tuina_first[1] == [CptLine("97140", 2, bundled=True)]


def test_each_sessions_own_record_decides_its_modifier():
    # The needling session's tick says nothing about the Tui Na of another session that day.
    lines = day_cpt_lines([visit(1, 9, 30, separate=True), visit(2, 14, 0, tuina=30)])
    assert lines[2] == [CptLine("97140", 2, bundled=True)]


def test_tuina_on_a_day_without_acupuncture_needs_no_modifier():
    lines = day_cpt_lines(
        [visit(1, 9, 5, tuina=30, separate=True), visit(2, 9, 30, tuina=15, day=DAY + timedelta(days=1))]
    )
    assert lines[1] == [CptLine("97140", 2)]
    assert lines[2] == [CptLine("97810", 1), CptLine("97811", 1), CptLine("97140", 1, bundled=True)]


# --- re-insertions across the day ----------------------------------------------------------------


def test_a_later_sessions_first_unit_is_a_new_insertion_of_needles():
    # 09:00 30 min, needles left in: 97810 only. 14:00 30 min, needles left in: its first unit began
    # with a new insertion, so it bills one add-on; its second unit had no re-insertion.
    lines = day_cpt_lines([visit(1, 9, 30, reinsertions=0), visit(2, 14, 30, reinsertions=0)])
    assert lines == {1: [CptLine("97810", 1)], 2: [CptLine("97811", 1)]}


@pytest.mark.parametrize(
    ("minutes", "reinsertions", "add_ons"),
    [(30, 0, 1), (30, 1, 2), (30, 4, 2), (60, 0, 1), (60, 1, 2), (60, 3, 4), (60, 5, 4), (7, 3, 0)],
)
@pytest.mark.parametrize("electro", [False, True])
def test_a_later_session_bills_the_fewer_of_its_units_and_one_plus_its_reinsertions(
    minutes, reinsertions, add_ons, electro
):
    lines = day_cpt_lines([visit(1, 9, 30, reinsertions=1), visit(2, 14, minutes, electro, reinsertions=reinsertions)])
    assert lines[1] == [CptLine("97810", 1), CptLine("97811", 1)]
    assert lines[2] == ([CptLine("97814" if electro else "97811", add_ons)] if add_ons else [])


def test_reinsertions_of_the_first_session_do_not_carry_over_to_a_later_one():
    lines = day_cpt_lines([visit(1, 9, 15, electro=True, reinsertions=5), visit(2, 14, 45, reinsertions=0)])
    assert lines == {1: [CptLine("97813", 1)], 2: [CptLine("97811", 1)]}


def test_a_first_session_too_short_to_bill_leaves_the_initial_code_and_its_rule_to_the_next():
    lines = day_cpt_lines([visit(1, 9, 5, reinsertions=0), visit(2, 14, 30, electro=True, reinsertions=0)])
    assert lines == {1: [], 2: [CptLine("97813", 1)]}


def test_a_session_listed_twice_is_refused():
    with pytest.raises(ValueError, match="listed twice"):
        day_cpt_lines([visit(1, 9, 30), visit(1, 9, 30)])


MINUTES = [0, 7, 8, 22, 23, 37, 38, 60]


def test_every_day_of_up_to_three_sessions_has_at_most_one_initial_code_and_every_unit():
    """Exhaustive over the unit bands, stimulation flags and a few re-insertion counts: the day's invariants."""
    visits = [(minutes, electro, again) for minutes in MINUTES for electro in (False, True) for again in (0, 2)]
    for count in (1, 2, 3):
        for day in product(visits, repeat=count):
            sessions = [
                visit(n, 8 + n, minutes, electro, reinsertions=again)
                for n, (minutes, electro, again) in enumerate(day, start=1)
            ]
            lines = day_cpt_lines(sessions)
            initials = initial_codes(lines)
            billable = [s for s in sessions if timed_units(s.contact_minutes)]
            assert initials == ([] if not billable else [lines[billable[0].id][0].code]), day
            for session in sessions:
                codes = {line.code for line in lines[session.id]}
                units = timed_units(session.contact_minutes)
                # Each unit is billed when its time was spent and, past the day's first, needles went
                # back in: the first billable session's first unit, and each later session's first unit.
                billed = 1 + min(units - 1, session.reinsertions) if units else 0
                assert sum(line.units for line in lines[session.id]) == billed <= units, (day, session)
                # Each session bills its own kind of stimulation, and never both kinds.
                wrong = {"97810", "97811"} if session.electroacupuncture else {"97813", "97814"}
                assert not codes & wrong, (day, session)
                if session is not (billable[0] if billable else None):
                    assert not codes & INITIALS, (day, session)


# --- ICD-10-CM -------------------------------------------------------------------------------


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


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("M54.5X", "M54.5X is not a billable code; use M54.50, M54.51 or M54.59."),
        ("M545X", "M54.5X is not a billable code; use M54.50, M54.51 or M54.59."),
        (" m54.5x ", "M54.5X is not a billable code; use M54.50, M54.51 or M54.59."),
        ("M54.52", "M54.52 is not a billable code; use M54.50, M54.51 or M54.59."),
        ("M54.58", "M54.58 is not a billable code; use M54.50, M54.51 or M54.59."),
        ("M54.500", "M54.500 is not a billable code; use M54.50, M54.51 or M54.59."),
        ("M5459A", "M54.59A is not a billable code; use M54.50, M54.51 or M54.59."),
        ("M54.3X", "M54.3X is not a billable code; use M54.30, M54.31 or M54.32."),
        ("M54.33", "M54.33 is not a billable code; use M54.30, M54.31 or M54.32."),
        ("M54.4X", "M54.4X is not a billable code; use M54.40, M54.41 or M54.42."),
        ("M54.49", "M54.49 is not a billable code; use M54.40, M54.41 or M54.42."),
        ("M54.420", "M54.420 is not a billable code; use M54.40, M54.41 or M54.42."),
        ("M54.1X", "M54.1X is not a billable code; use M54.10, M54.11, M54.12, M54.13, M54.14, M54.15, M54.16"),
        ("M54.19", "M54.19 is not a billable code; use M54.10, M54.11, M54.12, M54.13, M54.14, M54.15, M54.16"),
        ("M54.160", "M54.160 is not a billable code; use M54.10, M54.11, M54.12, M54.13, M54.14, M54.15, M54.16"),
        ("M51.1X", "M51.1X is not a billable code; use M51.14, M51.15, M51.16 or M51.17."),
        ("M51.18", "M51.18 is not a billable code; use M51.14, M51.15, M51.16 or M51.17."),
        ("M51.10", "M51.10 is not a billable code; use M51.14, M51.15, M51.16 or M51.17."),
        ("M51.160", "M51.160 is not a billable code; use M51.14, M51.15, M51.16 or M51.17."),
    ],
)
def test_a_code_in_a_known_category_must_be_one_of_its_billable_children(raw, message):
    with pytest.raises(ValueError) as refused:
        billing.validate_icd10(raw)
    assert str(refused.value).startswith(message)


def test_the_deleted_m54_5_keeps_its_own_message():
    with pytest.raises(ValueError, match="M54.5 was deleted in October 2021; use M54.50, M54.51 or M54.59."):
        billing.validate_icd10("M54.5")


@pytest.mark.parametrize("code", [code for children in billing.BILLABLE_CHILDREN.values() for code in children])
def test_every_billable_child_of_a_known_category_passes(code):
    assert billing.validate_icd10(code) == code
    assert billing.validate_icd10(code.replace(".", "").lower()) == code


def test_every_common_code_is_a_billable_child_of_its_known_category():
    for code, _ in billing.COMMON_ICD10:
        assert code in billing.BILLABLE_CHILDREN[code[:5]], code


@pytest.mark.parametrize("code", ["M54.2", "M54.6", "M54.89", "M51.26", "M51.27", "M47.816", "S33.5XXA"])
def test_codes_of_other_categories_keep_the_shape_check_only(code):
    assert billing.validate_icd10(code) == code


# --- ICD-10-CM Excludes1 ---------------------------------------------------------------------

# One pair per encoded note: a code under the note's category and a code under what it excludes.
EXCLUDED_PAIRS = [
    ("M54.16", "M51.16", "Excludes1 at M54.1 (radiculopathy) excludes radiculopathy with lumbar and other"),
    ("M54.12", "M50.12", "Excludes1 at M54.1 (radiculopathy) excludes radiculopathy with cervical disc disorder"),
    ("M54.17", "M47.27", "Excludes1 at M54.1 (radiculopathy) excludes radiculopathy with spondylosis (M47.2-)"),
    ("M54.31", "G57.01", "Excludes1 at M54.3 (sciatica) excludes lesion of sciatic nerve (G57.0)"),
    ("M54.32", "M51.17", "Excludes1 at M54.3 (sciatica) excludes sciatica due to intervertebral disc disorder"),
    ("M54.30", "M54.42", "Excludes1 at M54.3 (sciatica) excludes sciatica with lumbago (M54.4-)"),
    ("M54.41", "M51.16", "Excludes1 at M54.4 (lumbago with sciatica) excludes lumbago with sciatica due to"),
    ("M54.50", "S39.012A", "Excludes1 at M54.5 (low back pain) excludes low back strain (S39.012)"),
    ("M54.59", "M51.26", "Excludes1 at M54.5 (low back pain) excludes lumbago due to intervertebral disc displacement"),
    ("M54.51", "M54.40", "Excludes1 at M54.5 (low back pain) excludes lumbago with sciatica (M54.4-)"),
    ("M54.10", "M79.2", "Excludes1 at M54.1 (radiculopathy) excludes neuralgia and neuritis NOS (M79.2)"),
    ("M54.31", "M51.361", "Excludes1 at M54.3 (sciatica) excludes intervertebral disc degeneration, lumbar region"),
    ("M54.30", "M51.371", "Excludes1 at M54.3 (sciatica) excludes intervertebral disc degeneration, lumbosacral"),
    ("M54.42", "M51.362", "Excludes1 at M54.4 (lumbago with sciatica) excludes intervertebral disc degeneration"),
    ("M54.40", "M51.372", "Excludes1 at M54.4 (lumbago with sciatica) excludes intervertebral disc degeneration"),
    ("M54.50", "M51.360", "Excludes1 at M54.5 (low back pain) excludes intervertebral disc degeneration, lumbar"),
    ("M54.59", "M51.370", "Excludes1 at M54.5 (low back pain) excludes intervertebral disc degeneration, lumbosa"),
]


def _tabular_excludes1(category: str) -> set[str]:
    """The codes an Excludes1 note of the CDC/CMS tabular list names at `category` (simple-icd-10-cm carries the
    April 1, 2026 release's XML): "lumbago with sciatica (M54.4-)" -> "M54.4"."""
    import re

    import simple_icd_10_cm as tabular

    return {re.search(r"\(([A-Z][0-9A-Z.]+)-?\)$", note).group(1) for note in tabular.get_excludes1(category)}


@pytest.mark.parametrize("category", sorted({note.at for note in billing.EXCLUDES1}))
def test_the_notes_encoded_are_the_tabular_lists_own_every_one_of_them(category):
    encoded = {note.excludes.rstrip("-") for note in billing.EXCLUDES1 if note.at == category}
    assert encoded == _tabular_excludes1(category)


def test_the_notes_read_from_the_other_side_are_encoded_too():
    # M51.1's own note excludes lumbar radiculitis NOS (M54.16) and sciatica NOS (M54.3): pairs already refused.
    for excluded in _tabular_excludes1("M51.1"):
        assert billing.excludes1_conflicts(["M51.16", excluded]), excluded


def test_every_encoded_note_has_a_pair_tested():
    notes = {(note.at, note.excludes) for note in billing.EXCLUDES1}
    tested = {
        next((n.at, n.excludes) for n in billing.EXCLUDES1 if n.forbids(first, second))
        for first, second, _ in EXCLUDED_PAIRS
    }
    assert tested == notes


@pytest.mark.parametrize(("first", "second", "rule"), EXCLUDED_PAIRS)
def test_an_excludes1_pair_is_refused_in_either_order(first, second, rule):
    for codes in ([first, second], [second, first]):
        (message,) = billing.excludes1_conflicts(codes)
        assert message.startswith(f"{codes[0]} and {codes[1]} cannot be billed together: ICD-10-CM {rule}")


@pytest.mark.parametrize(("first", "second", "rule"), EXCLUDED_PAIRS)
def test_an_excludes1_pair_is_refused_among_other_codes(first, second, rule):
    # Z79.01 and M62.830 (muscle spasm of back) exclude nothing here.
    (message,) = billing.excludes1_conflicts(["Z79.01", first, "M62.830", second])
    assert f"{first} and {second} cannot be billed together" in message and rule in message


def test_the_message_names_the_rule_and_both_codes():
    assert billing.excludes1_conflicts(["M54.41", "M54.50"]) == [
        "M54.41 and M54.50 cannot be billed together: ICD-10-CM Excludes1 at M54.5 (low back pain) excludes "
        "lumbago with sciatica (M54.4-)."
    ]


def test_each_forbidden_pair_is_named_once():
    # M54.42 is excluded beside M54.30 and M54.50, M51.16 beside M54.30 and M54.42: four pairs, four messages.
    messages = billing.excludes1_conflicts(["M54.30", "M54.42", "M54.50", "M51.16"])
    pairs = [message.split(" cannot")[0] for message in messages]
    assert pairs == ["M54.30 and M54.42", "M54.30 and M51.16", "M54.42 and M54.50", "M54.42 and M51.16"]


@pytest.mark.parametrize(
    "codes",
    [
        ["M54.16", "M54.50"],  # radiculopathy with low back pain: neither note names the other
        ["M54.30", "M54.50"],  # sciatica with low back pain: neither note names the other
        ["M51.16", "M54.50"],  # M54.5 excludes M51.2- (displacement as lumbago), not M51.1-
        ["M54.31", "M54.32"],  # sciatica on both sides
        ["M54.17", "M54.42"],
        ["M54.41"],
        [],
    ],
)
def test_codes_no_excludes1_note_names_together_are_allowed(codes):
    assert billing.excludes1_conflicts(codes) == []
