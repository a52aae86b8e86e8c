"""Who counts as active, and the default thresholds of the quality checks: settings that
``run_config`` validates and the metrics apply (no pandas at import: the CLI's quick
commands read settings without it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class ActiveRule:
    """Who counts as active: ``any`` (messages + calls ≥ 1) or ``quota`` (M and C)."""

    kind: str = "any"
    min_messages: int = 10
    min_calls: int = 1

    def __post_init__(self) -> None:
        if self.kind not in ("any", "quota"):
            raise ValueError("правило активности должно быть any или quota, "
                             f"получено {self.kind!r}")
        if self.min_messages < 0 or self.min_calls < 0:
            raise ValueError("пороги правила quota должны быть ≥ 0")

    def describe(self) -> str:
        if self.kind == "any":
            return "активен, если за 7 дней есть хотя бы одно сообщение или звонок"
        return (f"активен, если за 7 дней не меньше {self.min_messages} сообщений "
                f"и не меньше {self.min_calls} звонков")

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "min_messages": self.min_messages,
                "min_calls": self.min_calls}

    @classmethod
    def from_dict(cls, data: object) -> ActiveRule | None:
        """The rule stored by :meth:`as_dict` (manifest, metrics_meta.json); None if unusable."""
        try:
            return cls(str(data["kind"]), int(data["min_messages"]),  # type: ignore[index]
                       int(data["min_calls"]))  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            return None

    def mask(self, persons: pd.DataFrame) -> pd.Series:
        messages = persons["messages_7d"].astype("int64")
        calls = persons["calls_7d"].astype("int64")
        if self.kind == "any":
            return (messages + calls) >= 1
        return (messages >= self.min_messages) & (calls >= self.min_calls)


#: Default threshold of ``sharp_change``, percentage points per week.
SHARP_CHANGE_PP = 15.0
