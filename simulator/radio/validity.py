"""Validity ranges of empirical models, checked before a planner trusts a number."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


class OutOfValidityError(ValueError):
    """An input lies outside the range over which the model was fitted or specified."""


@dataclass(frozen=True)
class Range:
    name: str
    low: float
    high: float
    unit: str

    def check(self, model: str, value: ArrayLike) -> None:
        v = np.asarray(value, dtype=float)
        bad = v[(v < self.low) | (v > self.high)]
        if bad.size:
            raise OutOfValidityError(
                f"{model}: {self.name} {bad.flat[0]:g} {self.unit} is outside the model's validity range "
                f"{self.low:g}..{self.high:g} {self.unit}"
            )
