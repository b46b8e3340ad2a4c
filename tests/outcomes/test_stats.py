"""The report's confidence intervals against values worked out by hand or published in tables."""

from decimal import Decimal
from statistics import mean, stdev

import pytest

from outcomes.stats import mean_interval, sample_sd, t_95, wilson_interval


@pytest.mark.parametrize(
    ("df", "t"),
    [
        (1, 12.706),
        (9, 2.262),
        (10, 2.228),
        (29, 2.045),
        (30, 2.042),
        (35, 2.042),
        (40, 2.021),
        (119, 1.984),
        (5000, 1.959964),
    ],
)
def test_t_critical_values_from_the_table_never_narrower(df, t):
    assert t_95(df) == t


def test_t_needs_a_degree_of_freedom():
    with pytest.raises(ValueError):
        t_95(0)


def test_a_mean_interval_by_hand():
    # Changes of -10, -20, -30 ODI points: mean -20, sd 10, n 3, t(2) 4.303: -20 ± 24.84.
    values = [-10.0, -20.0, -30.0]
    sd = sample_sd(mean(values), mean(v * v for v in values), len(values))
    assert sd == pytest.approx(stdev(values))
    assert mean_interval(mean(values), sd, len(values)) == (Decimal("-44.8"), Decimal("4.8"))
    assert mean_interval(-20.0, None, 1) is None and sample_sd(-20.0, 400.0, 1) is None
    assert sample_sd(5.0, 25.0 - 1e-12, 4) == 0.0  # rounding below zero is a spread of nothing, not an error


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [
        # Newcombe 1998, Table I (four decimals): 81/263 -> 0.2553 to 0.3662; 15/148 -> 0.0624 to 0.1605;
        # 0/20 -> 0 to 0.1611; 20/20 -> 0.8389 to 1.
        (81, 263, (25.53, 36.62)),
        (15, 148, (6.24, 16.05)),
        (0, 20, (0.0, 16.11)),
        (20, 20, (83.89, 100.0)),
    ],
)
def test_wilson_intervals_match_newcombes_table(successes, n, expected):
    low, high = wilson_interval(successes, n)
    # The function gives tenths of a percent: within 0.05 of the table's value, plus its own rounding.
    assert float(low) == pytest.approx(expected[0], abs=0.06)
    assert float(high) == pytest.approx(expected[1], abs=0.06)


def test_no_interval_for_no_one():
    assert wilson_interval(0, 0) is None
