"""Confidence intervals for the outcomes report, as pure functions (docs/clinical-rules.md, "Confidence
intervals"). No statistics package: the two intervals the report needs are a few lines each.

A mean: mean ± t × sd / √n, with t the two-sided 95 % quantile of Student's t on n - 1 degrees of
freedom. A proportion: the Wilson score interval (Wilson 1927), which stays inside 0-100 % and behaves
for small clinics and for shares near 0 or 100 %, where the textbook p ± 1.96√(p(1-p)/n) does not.
"""

from decimal import Decimal
from math import sqrt

Z_95 = 1.959964
# Student's t, two-sided 95 % (0.975 quantile), by degrees of freedom; between two rows the smaller df's
# (larger) value is used, so an interval is never narrower than it should be.
T_95 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
    11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
    20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048,
    29: 2.045, 30: 2.042, 40: 2.021, 60: 2.000, 80: 1.990, 100: 1.984, 120: 1.980, 200: 1.972, 500: 1.965,
    1000: 1.962,
}  # fmt: skip


def t_95(df: int) -> float:
    """The two-sided 95 % critical value of Student's t with `df` degrees of freedom (df ≥ 1)."""
    if df < 1:
        raise ValueError("t needs at least one degree of freedom")
    return T_95[max(row for row in T_95 if row <= df)] if df <= 1000 else Z_95


def _tenth(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"))


def sample_sd(mean: float | None, mean_of_squares: float | None, n: int) -> float | None:
    """The sample standard deviation from a mean and a mean of squares (what SQL averages give on every
    database; SQLite's own STDDEV fails on fewer than two values). None below two values."""
    if mean is None or mean_of_squares is None or n < 2:
        return None
    return sqrt(max(0.0, (mean_of_squares - mean * mean) * n / (n - 1)))


def mean_interval(mean: float | None, sd: float | None, n: int) -> tuple[Decimal, Decimal] | None:
    """The 95 % confidence interval of a mean from its sample standard deviation (None below 2 values)."""
    if mean is None or sd is None or n < 2:
        return None
    half = t_95(n - 1) * sd / sqrt(n)
    return _tenth(mean - half), _tenth(mean + half)


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[Decimal, Decimal] | None:
    """The 95 % Wilson score interval of a proportion, in percent (None with no one)."""
    if n <= 0:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return _tenth(100 * max(0.0, centre - half)), _tenth(100 * min(1.0, centre + half))


# The funnel plot's control limits (Spiegelhalter, Stat Med 2005;24:1185-202): about 1 in 20 and 1 in 500 of
# clinics no different from the group fall outside them by chance alone.
Z_998 = 3.090232
FUNNEL_LIMITS = {"95": Z_95, "99.8": Z_998}


def funnel_limits(successes: int, n: int, sizes: list[int]) -> dict[str, list[dict]]:
    """The group's rate's control limits at each course number of `sizes`, in percent, by the normal
    approximation to the binomial p ± z √(p(1 − p) / size), kept within 0-100 %. Empty with no group rate."""
    if n <= 0:
        return {}
    p = successes / n
    limits: dict[str, list[dict]] = {}
    for name, z in FUNNEL_LIMITS.items():
        for side, sign in (("upper", 1), ("lower", -1)):
            limits[f"{side} {name} %"] = [
                {"n": size, "rate": round(100 * min(1.0, max(0.0, p + sign * z * sqrt(p * (1 - p) / size))), 1)}
                for size in sizes
            ]
    return limits


def funnel_position(successes: int, n: int, group_successes: int, group_n: int) -> str:
    """Where a location's rate falls against the group's control limits at its own size: "within", "above 95 %",
    "above 99.8 %", "below 95 %", "below 99.8 %"; "too few" with no course to compare."""
    if n <= 0 or group_n <= 0:
        return "too few"
    p = group_successes / group_n
    spread = sqrt(p * (1 - p) / n)
    rate = successes / n
    for name, z in sorted(FUNNEL_LIMITS.items(), key=lambda item: -item[1]):
        if rate > p + z * spread:
            return f"above {name} %"
        if rate < p - z * spread:
            return f"below {name} %"
    return "within"
