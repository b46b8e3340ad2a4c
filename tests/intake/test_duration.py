from datetime import date, timedelta

import pytest

from intake import rules

ON = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("days", "category"),
    [
        (0, "acute"),
        (41, "acute"),  # 5 weeks 6 days
        (42, "subacute"),  # exactly 6 weeks
        (84, "subacute"),  # exactly 12 weeks
        (85, "chronic"),  # over 12 weeks
        (3650, "chronic"),
    ],
)
def test_duration_categories_at_their_boundaries(days, category):
    assert rules.duration_category(ON - timedelta(days=days), ON) == category


def test_onset_after_assessment_is_refused():
    with pytest.raises(ValueError):
        rules.duration_category(ON + timedelta(days=1), ON)
