"""Base classes of the scenario schema: strict frozen models, and non-negative durations."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

#: Largest group of people of one role in one space, and most people in a scenario. The largest
#: US high schools have about 5,000 students; 50,000 leaves room for a campus while keeping the
#: batch engine's per-person arrays (runs x people) within memory.
MAX_GROUP_PEOPLE = 10_000
MAX_PEOPLE = 50_000
#: Longest scoring horizon: a day. Drills are scored over minutes (default 900 s); the over-time
#: curves have one point per 5 s of horizon.
MAX_HORIZON_S = 86_400.0


def _d(dist: str, **kw: float) -> dict:
    return {"dist": dist, **kw}


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )


class _Checked(_Model):
    """Durations (fields ending ``_s``) never go negative, speeds (``_mps``) stay positive."""

    @field_validator("*", mode="after")
    @classmethod
    def _support(cls, value, info):
        name = info.field_name
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for key, dist in items:
            if not hasattr(dist, "support_min"):
                continue
            where = f" ('{key}')" if key else ""
            low = dist.support_min()
            if name.endswith("_mps") and not low > 0:
                raise ValueError(
                    f"{dist.describe()}{where} can produce {low:.3g} m/s but speeds must be > 0; "
                    "add min: 0.3 (or use a lognormal)"
                )
            if name.endswith("_s") and low < 0:
                raise ValueError(
                    f"{dist.describe()}{where} can produce {low:.3g} s but durations must be "
                    ">= 0; add min: 0"
                )
        return value
