import pytest

from intake import rules


def test_total_of_all_zero_and_all_three():
    assert rules.phq9_total([0] * 9) == 0
    assert rules.phq9_total([3] * 9) == 27


def test_total_adds_the_items():
    assert rules.phq9_total([1, 2, 3, 0, 1, 2, 3, 0, 1]) == 13


@pytest.mark.parametrize(
    "answers", [[0] * 8, [0] * 10, [0] * 8 + [4], [0] * 8 + [-1], [0] * 8 + [True], [0] * 8 + ["1"]]
)
def test_total_refuses_bad_answers(answers):
    with pytest.raises(ValueError):
        rules.phq9_total(answers)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_bands_at_every_boundary(total, band):
    assert rules.phq9_band(total) == band


@pytest.mark.parametrize("total", [-1, 28])
def test_band_refuses_impossible_totals(total):
    with pytest.raises(ValueError):
        rules.phq9_band(total)


@pytest.mark.parametrize(("total", "flagged"), [(9, False), (10, True), (27, True)])
def test_flag_at_ten_or_more(total, flagged):
    assert rules.phq9_flagged(total) is flagged


@pytest.mark.parametrize(("item9", "risk"), [(None, False), (0, False), (1, True), (2, True), (3, True)])
def test_any_answer_above_zero_on_item_9_is_urgent(item9, risk):
    assert rules.self_harm_risk(item9) is risk
