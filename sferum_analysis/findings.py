"""Data-quality findings: one line in ``quality.csv`` each.

Every kind of finding has a stable machine-readable ``code``; the ``message`` is Russian
and never contains a person's name (quality.csv is published).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum

import pandas as pd


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


#: code -> (level, short Russian title used in the report's quality section)
CODES: dict[str, tuple[Level, str]] = {
    "registry_error": (Level.ERROR, "Ошибка в реестре организаций"),
    "unreadable_file": (Level.ERROR, "Файл не удалось прочитать"),
    "unknown_org": (Level.ERROR, "Файл организации, которой нет в реестре"),
    "missing_export": (Level.WARNING, "Нет выгрузки организации"),
    "no_data_for_date": (Level.WARNING, "В выгрузке нет строк за отчётную дату"),
    "rejected_row": (Level.WARNING, "Строка отклонена"),
    "duplicate": (Level.WARNING, "Повтор сотрудника"),
    "register_exceeded": (Level.WARNING, "Зарегистрировано больше, чем сотрудников в реестре"),
    "multiple_exports": (Level.WARNING, "Несколько выгрузок одной организации"),
    "unsupported_file": (Level.WARNING, "Файл неподдерживаемого типа"),
    "future_date": (Level.WARNING, "Строки с датой после отчётной недели"),
    "implausible_count": (Level.WARNING, "Неправдоподобно большое значение счётчика"),
    "sharp_change": (Level.WARNING, "Резкое изменение показателя МО за неделю"),
    "identical_counts": (Level.WARNING, "Одинаковое число сообщений у большинства сотрудников"),
    "quota_jump": (Level.WARNING, "Скачок счётчиков от нуля ровно до порога"),
    "skipped_file": (Level.INFO, "Пропущен служебный файл"),
}

COLUMNS = ["level", "code", "file", "row", "message"]


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    file: str = ""
    row: int | None = None
    org_id: str = ""

    @property
    def level(self) -> Level:
        return CODES[self.code][0]


def to_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Findings as a table: level, code, file, row, message, org_id (stable order)."""
    records = [{"level": str(f.level), **asdict(f)} for f in findings]
    frame = pd.DataFrame.from_records(records, columns=[*COLUMNS, "org_id"])
    return frame.astype({"level": "string", "code": "string", "file": "string",
                         "row": "Int64", "message": "string", "org_id": "string"})


def sort_findings(frame: pd.DataFrame) -> pd.DataFrame:
    level_rank = {str(Level.ERROR): 0, str(Level.WARNING): 1, str(Level.INFO): 2}
    return (
        frame.assign(_lvl=frame["level"].map(level_rank))
        .sort_values([c for c in ["_lvl", "code", "file", "row", "message"] if c in frame.columns
                      or c == "_lvl"], kind="stable", na_position="first")
        .drop(columns="_lvl")
        .reset_index(drop=True)
    )


def title(code: str) -> str:
    return CODES[code][1]
