"""Shared behaviour of per-run array bundles (Draws, Outcomes): the first axis is the run."""

from __future__ import annotations

from dataclasses import fields
from typing import Self

import numpy as np


class RunArrays:
    """Mixin for frozen dataclasses with a ``first_run`` int and per-run arrays."""

    first_run: int

    def arrays(self) -> dict[str, np.ndarray]:
        """Every per-run array by field name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "first_run"}

    def slice(self, start: int, stop: int) -> Self:
        """Runs ``start .. stop - 1`` (positions within this bundle)."""
        kw = {k: v[start:stop] for k, v in self.arrays().items()}
        return type(self)(first_run=self.first_run + start, **kw)

    def run(self, r: int) -> Self:
        """Run ``r`` (position within this bundle) as a one-run bundle."""
        return self.slice(r, r + 1)

    @classmethod
    def concat(cls, parts: list[Self]) -> Self:
        """Consecutive bundles joined along the run axis."""
        names = parts[0].arrays()
        kw = {k: np.concatenate([getattr(p, k) for p in parts]) for k in names}
        return cls(first_run=parts[0].first_run, **kw)
