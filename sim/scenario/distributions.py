"""Probability distributions as small frozen objects with ``sample`` and ``mean``.

A scenario names a distribution by ``dist`` (``fixed``, ``exponential``, ``gamma``,
``lognormal``, ``uniform``, ``triangular``) with its parameters, for example
``decision_days = {dist = "gamma", mean = 10, cv = 0.5}``. The ``fixed`` one makes
deterministic runs possible, so tests can assert exact results.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated, Literal

import numpy as np
from pydantic import ConfigDict, Field

from sim.scenario.checks import AtPath, CrossFieldRules, Unknown, cross_field


class _Dist(CrossFieldRules):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @property
    def mean(self) -> float:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover


class Fixed(_Dist):
    """Always the same value."""

    dist: Literal["fixed"] = "fixed"
    value: float = Field(0.0, ge=0, description="the value every draw takes")

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng, size):
        return np.full(size, self.value, dtype=float)


class _ByMean(_Dist):
    """A distribution given by its mean (written ``mean`` in a scenario)."""

    mean_: float = Field(1.0, gt=0, le=1e12, alias="mean", description="the mean")

    model_config = ConfigDict(populate_by_name=True)

    @property
    def mean(self) -> float:
        return self.mean_


class _ByMeanCV(_ByMean):
    """A distribution given by its mean and coefficient of variation (SD / mean)."""

    cv: float = Field(0.5, gt=0, le=10, description="coefficient of variation")


class Exponential(_ByMean):
    """Memoryless; the coefficient of variation is 1."""

    dist: Literal["exponential"] = "exponential"

    def sample(self, rng, size):
        return rng.exponential(self.mean_, size)


class Gamma(_ByMeanCV):
    """Gamma by mean and coefficient of variation (standard deviation / mean)."""

    dist: Literal["gamma"] = "gamma"

    def sample(self, rng, size):
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean_ / shape, size)


class Lognormal(_ByMeanCV):
    """Lognormal by mean and coefficient of variation; right-skewed, like deal sizes."""

    dist: Literal["lognormal"] = "lognormal"

    def sample(self, rng, size):
        sigma2 = np.log1p(self.cv**2)
        mu = np.log(self.mean_) - sigma2 / 2
        return rng.lognormal(mu, np.sqrt(sigma2), size)


class Uniform(_Dist):
    """Uniform between ``low`` and ``high``."""

    dist: Literal["uniform"] = "uniform"
    low: float = Field(0.0, ge=0, description="smallest value")
    high: float = Field(1.0, ge=0, description="largest value")

    @cross_field
    def _ordered(self):
        """`high` must not be below `low`."""
        if self.high < self.low:
            yield AtPath(("high",), self.high, f"must not be below low ({self.low})")

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sample(self, rng, size):
        return rng.uniform(self.low, self.high, size)


class Triangular(_Dist):
    """Triangular by ``low``, ``mode`` and ``high``: a trainer's three-point estimate."""

    dist: Literal["triangular"] = "triangular"
    low: float = Field(0.0, ge=0, description="smallest value")
    mode: float = Field(0.5, ge=0, description="most likely value")
    high: float = Field(1.0, ge=0, description="largest value")

    @cross_field
    def _ordered(self):
        """`low` ≤ `mode` ≤ `high`, and `low` < `high`."""
        with suppress(Unknown):
            if self.high <= self.low:
                yield AtPath(("high",), self.high, f"must be above low ({self.low})")
        with suppress(Unknown):
            if self.mode > self.high:
                yield AtPath(("mode",), self.mode, f"must not be above high ({self.high})")
        with suppress(Unknown):
            if self.mode < self.low:
                yield AtPath(("mode",), self.mode, f"must not be below low ({self.low})")

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def sample(self, rng, size):
        return rng.triangular(self.low, self.mode, self.high, size)


Distribution = Annotated[
    Fixed | Exponential | Gamma | Lognormal | Uniform | Triangular,
    Field(discriminator="dist"),
]
"""Any of the distributions above, chosen by its ``dist`` key."""
