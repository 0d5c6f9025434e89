"""The exact tests and the multiple-comparison adjustments of :mod:`sim.analysis.statistics`,
against answers worked out by hand and against the textbook formulas computed with
integers."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from sim.analysis.statistics import (
    _log_factorials,
    adjust_p_values,
    fisher_lower_p,
    poisson_binomial_cdf,
)

NAN = float("nan")


def hypergeometric_lower_tail(a: int, n: int, b: int, m: int) -> float:
    """P(X <= a) for X the successes among ``n`` draws from ``n + m`` items of which
    ``a + b`` are successes, with integer binomial coefficients."""
    total, succ = n + m, a + b
    return sum(math.comb(succ, x) * math.comb(total - succ, n - x)
               for x in range(a + 1)) / math.comb(total, n)


# -- Fisher's exact test --------------------------------------------------------------
def test_fisher_lower_p_by_hand():
    # 2 of 5 against 6 of 7: 8 successes in 12, 5 drawn; X >= 1 since only 4 failures.
    # P(X <= 2) = [C(8,1) C(4,4) + C(8,2) C(4,3)] / C(12,5) = (8 + 112) / 792 = 5/33
    assert fisher_lower_p(2, 5, 6, 7)[0] == pytest.approx(5 / 33, rel=1e-12)


def test_fisher_lower_p_matches_the_hypergeometric_tail_on_every_small_table():
    tables = [(a, n, b, m) for n, m in itertools.product(range(1, 7), repeat=2)
              for a in range(n + 1) for b in range(m + 1)]
    a, n, b, m = (np.array(col) for col in zip(*tables, strict=True))
    exact = [hypergeometric_lower_tail(*t) for t in tables]
    np.testing.assert_allclose(fisher_lower_p(a, n, b, m), exact, rtol=1e-9)


def test_fisher_lower_p_edges():
    assert fisher_lower_p(4, 4, 0, 4)[0] == pytest.approx(1.0)  # the rep cannot do better
    assert fisher_lower_p(0, 4, 4, 4)[0] == pytest.approx(1 / 70)  # 1 / C(8, 4)
    assert fisher_lower_p([], [], [], []).shape == (0,)
    assert fisher_lower_p(1, 4, 3, 4).shape == (1,)  # scalars give one p-value


# -- Holm and Bonferroni --------------------------------------------------------------
def test_holm_worked_example():
    # four tests (NaN is not one): sorted p 0.001, 0.02, 0.04, 0.5 times 4, 3, 2, 1 gives
    # 0.004, 0.06, 0.08, 0.5, already non-decreasing
    p = [0.02, 0.001, 0.5, 0.04, NAN]
    np.testing.assert_allclose(adjust_p_values(p, "holm"), [0.06, 0.004, 0.5, 0.08, NAN])


def test_holm_steps_down_monotonically():
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04; the last
    # may not fall below the one before it, so 0.06
    p = [0.01, 0.04, 0.03, 0.005]
    np.testing.assert_allclose(adjust_p_values(p, "holm"), [0.03, 0.06, 0.06, 0.02])


def test_bonferroni_and_none():
    p = [0.02, 0.001, 0.5, 0.04, NAN]
    np.testing.assert_allclose(adjust_p_values(p, "bonferroni"),
                               [0.08, 0.004, 1.0, 0.16, NAN])
    np.testing.assert_allclose(adjust_p_values(p, "none"), p)


def test_holm_lies_between_the_raw_p_values_and_bonferroni():
    p = np.random.default_rng(1).uniform(0, 0.2, size=30)
    holm, bonferroni = adjust_p_values(p, "holm"), adjust_p_values(p, "bonferroni")
    assert (p <= holm).all() and (holm <= bonferroni).all() and (holm <= 1).all()


def test_adjust_leaves_untested_cells_out():
    np.testing.assert_allclose(adjust_p_values([NAN, NAN], "holm"), [NAN, NAN])
    assert adjust_p_values([], "holm").shape == (0,)
    assert adjust_p_values([0.3], "holm")[0] == pytest.approx(0.3)  # a family of one


def test_adjust_names_the_choices_on_a_bad_one():
    with pytest.raises(ValueError, match="'holm', 'bonferroni' or 'none'"):
        adjust_p_values([0.1], "sidak")


# -- Poisson-binomial -----------------------------------------------------------------
@pytest.mark.parametrize("n, p", [(1, 0.5), (10, 0.3), (25, 0.9)])
def test_poisson_binomial_is_the_binomial_when_all_chances_are_equal(n, p):
    for k in range(n + 1):
        binomial = sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k + 1))
        assert poisson_binomial_cdf(k, [p] * n) == pytest.approx(binomial, rel=1e-12)


def test_poisson_binomial_by_hand():
    # chances 0.5 and 0.2: P(0) = 0.5 x 0.8 = 0.4, P(1) = 0.5 x 0.8 + 0.5 x 0.2 = 0.5
    assert poisson_binomial_cdf(0, [0.5, 0.2]) == pytest.approx(0.4)
    assert poisson_binomial_cdf(1, [0.5, 0.2]) == pytest.approx(0.9)
    assert poisson_binomial_cdf(2, [0.5, 0.2]) == pytest.approx(1.0)
    assert poisson_binomial_cdf(5, [0.5, 0.2]) == pytest.approx(1.0)


def test_poisson_binomial_edges():
    assert poisson_binomial_cdf(0, []) == 1.0  # no trials: surely no successes
    assert poisson_binomial_cdf(-1, [0.5, 0.2]) == 0.0
    assert poisson_binomial_cdf(-2, [0.5, 0.2]) == 0.0
    assert poisson_binomial_cdf(2, [1.0, 1.0, 1.0]) == 0.0  # three sure wins


def test_log_factorials():
    np.testing.assert_allclose(_log_factorials(6),
                               [math.log(math.factorial(k)) for k in range(7)], rtol=1e-12)
