"""Data-quality findings: one line in ``quality.csv`` each.

Every kind of finding has a stable machine-readable ``code``; the ``message`` is Russian
and never contains a person's name (quality.csv is published).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum

import pandas as pd

from .formatting import numbers_by_value


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


#: code -> (level, short Russian title used in the report's quality section)
CODES: dict[str, tuple[Level, str]] = {
    "registry_error": (Level.ERROR, "Ошибка в реестре организаций"),
    "unreadable_file": (Level.ERROR, "Файл не удалось прочитать"),
    "unknown_org": (Level.ERROR, "Файл организации, которой нет в реестре"),
    "no_usable_rows": (Level.ERROR, "В файле ни одной строки, которую можно учесть"),
    "missing_export": (Level.WARNING, "Нет выгрузки организации"),
    "no_data_for_date": (Level.WARNING, "В выгрузке нет строк за отчётную дату"),
    "rejected_row": (Level.WARNING, "Строка отклонена"),
    "duplicate": (Level.WARNING, "Повтор сотрудника"),
    "register_exceeded": (Level.WARNING, "Зарегистрировано больше, чем сотрудников в реестре"),
    "multiple_exports": (Level.WARNING, "Несколько выгрузок одной организации"),
    "unsupported_file": (Level.WARNING, "Файл неподдерживаемого типа"),
    "special_file": (Level.WARNING, "Не обычный файл (канал, устройство, сокет, битая ссылка)"),
    "future_date": (Level.WARNING, "Строки с датой после отчётной недели"),
    "implausible_count": (Level.WARNING, "Неправдоподобно большое значение счётчика"),
    "sharp_change": (Level.WARNING, "Резкое изменение показателя МО за неделю"),
    "identical_counts": (Level.WARNING, "Одинаковое число сообщений у большинства сотрудников"),
    "quota_jump": (Level.WARNING, "Скачок счётчиков от нуля ровно до порога"),
    "skipped_file": (Level.INFO, "Пропущен служебный файл"),
}

COLUMNS = ["level", "code", "file", "row", "message"]
#: Kept in ``findings.parquet`` for the report, not written to ``quality.csv``.
EXTRA_COLUMNS = ["org_id", "org_type", "mo"]


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    file: str = ""
    row: int | None = None
    org_id: str = ""
    #: The (type, МО) row of the metrics a МО-level finding (``sharp_change``) is about.
    org_type: str = ""
    mo: str = ""

    @property
    def level(self) -> Level:
        return CODES[self.code][0]


def to_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Findings as a table: level, code, file, row, message, org_id, org_type, mo (stable
    order); ``quality.csv`` is the first five columns."""
    records = [{"level": str(f.level), **asdict(f)} for f in findings]
    frame = pd.DataFrame.from_records(records, columns=[*COLUMNS, *EXTRA_COLUMNS])
    return frame.astype({"level": "string", "code": "string", "file": "string",
                         "row": "Int64", "message": "string",
                         **{c: "string" for c in EXTRA_COLUMNS}})


def sort_findings(frame: pd.DataFrame) -> pd.DataFrame:
    level_rank = {str(Level.ERROR): 0, str(Level.WARNING): 1, str(Level.INFO): 2}
    return (
        frame.assign(_lvl=frame["level"].map(level_rank))
        .sort_values([c for c in ["_lvl", "code", "file", "row", "message"] if c in frame.columns
                      or c == "_lvl"], kind="stable", na_position="first",
                     # numbers in file names and messages by their value: «№ 6» before «№ 18»
                     key=numbers_by_value("file", "message"))
        .drop(columns="_lvl")
        .reset_index(drop=True)
    )


def title(code: str) -> str:
    return CODES[code][1]
