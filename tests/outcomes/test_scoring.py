"""Scoring, hand-checked (docs/clinical-rules.md)."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outcomes.scoring import (
    Change,
    OdiBand,
    change,
    is_responder,
    odi_band,
    odi_meaningful,
    odi_score,
    pain_meaningful,
    round_half_up,
)


@pytest.mark.parametrize(
    ("answers", "score"),
    [
        ([0] * 10, 0),
        ([5] * 10, 100),
        ([3, 3, 3, 3, 3, 3, 3, None, 3, 3], 60),  # sex life skipped: 27 / 45
        ([1, 2, 3, 4, 5, 0, 1, 2, None, 3], 47),  # 21 / 45 = 46.67
        ([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 2),  # 1 / 50
        ([1, 0, 0, 0, 0, 0, 0, None, 0, 0], 2),  # 1 / 45 = 2.22
        ([2, 2, 1, 0, 0, 0, 0, None, 0, 0], 11),  # 5 / 45 = 11.11
        ([4, 4, 4, 4, 4, 4, 4, None, 4, 5], 82),  # 37 / 45 = 82.22
        ([None, 5, 5, 5, 5, 5, 5, 5, 5, 5], 100),
        ([0, 1, 2, 3, 4, 5, 0, 1, 2, 3], 42),  # 21 / 50
    ],
)
def test_odi_score_hand_checked(answers, score):
    assert odi_score(answers) == score


@pytest.mark.parametrize(
    "answers",
    [[None, None, 1, 1, 1, 1, 1, 1, 1, 1], [None] * 10, [0, 0, 0, 0, 0, 0, 0, None, None, 0]],
)
def test_two_or_more_unanswered_sections_have_no_score(answers):
    assert odi_score(answers) is None


@pytest.mark.parametrize("bad", [[6] + [0] * 9, [-1] + [0] * 9, [True] + [0] * 9, ["3"] + [0] * 9, [0] * 9, [0] * 11])
def test_invalid_odi_answers_raise(bad):
    with pytest.raises(ValueError):
        odi_score(bad)


@pytest.mark.parametrize(
    ("value", "whole"), [(Fraction(5, 2), 3), (Fraction(7, 2), 4), (Fraction(1, 2), 1), (Fraction(449, 10), 45)]
)
def test_round_half_up(value, whole):
    assert round_half_up(value) == whole


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, OdiBand.MINIMAL),
        (20, OdiBand.MINIMAL),
        (21, OdiBand.MODERATE),
        (40, OdiBand.MODERATE),
        (41, OdiBand.SEVERE),
        (60, OdiBand.SEVERE),
        (61, OdiBand.CRIPPLING),
        (80, OdiBand.CRIPPLING),
        (81, OdiBand.BED_BOUND),
        (100, OdiBand.BED_BOUND),
    ],
)
def test_odi_bands(score, band):
    assert odi_band(score) is band


@pytest.mark.parametrize("score", [-1, 101])
def test_odi_band_out_of_range(score):
    with pytest.raises(ValueError):
        odi_band(score)


def test_band_labels():
    assert odi_band(85).label == "Bed-bound or exaggerating"


@pytest.mark.parametrize(
    ("baseline", "current", "expected"),
    [
        (40, 24, Change(-16, Decimal("-40.0"))),
        (30, 33, Change(3, Decimal("10.0"))),
        (46, 31, Change(-15, Decimal("-32.6"))),
        (3, 2, Change(-1, Decimal("-33.3"))),
        (0, 4, Change(4, None)),
        (0, 0, Change(0, None)),
    ],
)
def test_change_from_baseline(baseline, current, expected):
    assert change(baseline, current) == expected


@pytest.mark.parametrize(
    ("baseline", "current", "meaningful"),
    [
        (30, 21, True),  # 9 points = exactly 30 %
        (40, 31, False),  # 9 points = 22.5 %
        (40, 30, True),  # 10 points
        (20, 14, True),  # 6 points = 30 %
        (20, 15, False),  # 5 points = 25 %
        (60, 51, False),
        (10, 7, True),  # 3 points = 30 %
        (30, 40, False),  # worse
        (0, 0, False),
    ],
)
def test_odi_meaningful_change(baseline, current, meaningful):
    assert odi_meaningful(baseline, current) is meaningful
    assert is_responder(baseline, current) is meaningful


@pytest.mark.parametrize(
    ("baseline", "current", "meaningful"),
    [
        (5, 3, True),  # 2 points
        (3, 2, True),  # 1 point = 33 %
        (10, 9, False),  # 10 %
        (8, 7, False),  # 12.5 %
        (10, 7, True),  # 3 points
        (4, 5, False),
        (0, 0, False),
    ],
)
def test_pain_meaningful_change(baseline, current, meaningful):
    assert pain_meaningful(baseline, current) is meaningful


@given(st.lists(st.integers(min_value=0, max_value=5), min_size=10, max_size=10))
def test_odi_score_with_every_section_answered_is_twice_the_sum(answers):
    score = odi_score(answers)
    assert score == round_half_up(Fraction(sum(answers) * 100, 50)) == 2 * sum(answers)
    assert 0 <= score <= 100


@given(
    st.lists(st.integers(min_value=0, max_value=5), min_size=9, max_size=9),
    st.integers(min_value=0, max_value=9),
)
def test_odi_score_with_one_section_skipped_is_in_range(answered, skipped):
    answers: list[int | None] = [*answered]
    answers.insert(skipped, None)
    score = odi_score(answers)
    assert score == round_half_up(Fraction(sum(answered) * 100, 45))
    assert 0 <= score <= 100
