"""Cleaning one reporting week: Sferum exports -> persons on the reporting date.

Rules (data contract §1.2 and §2):

* a file belongs to the organisation whose registry id begins its name (followed by the end
  of the stem, a space, ``_``, ``-`` or ``.``); lock files (``~$…``) and hidden files are
  skipped; any other file is an "unknown organisation" and is never counted;
* only rows dated with the reporting date are used; rows of other dates are accounted for;
* rejected rows: unparseable date, empty name, non-numeric or negative counts; the bad cell
  is quoted in the quality message unless it holds Cyrillic text (possibly a name);
* person key ``(org_id, normalised name)``; the same key again is a duplicate (first kept);
* for every file: rows read = used + other dates + duplicates + rejected.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import stat
import threading
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .findings import Finding
from .findings import to_frame as findings_frame
from .formatting import UNSAFE_CHARS, rows_phrase
from .reading import (
    TABLE_SUFFIXES,
    HeaderMatcher,
    ReadError,
    UncomputedFormula,
    normalize_header,
    prefix_matcher,
    read_columns,
    regex_matcher,
)
from .signals import die_with_parent

EXPORT_FIELDS = {
    "date": prefix_matcher("Дата"),
    "full_name": prefix_matcher("ФИО"),
    "user_type": prefix_matcher("Тип"),
    "link": prefix_matcher("Связь с"),
    "messages_7d": regex_matcher(r"^кол(?:-во|\.|ичество)?\s*сообщ"),
    "calls_7d": regex_matcher(r"^кол(?:-во|\.|ичество)?\s*звон"),
}
EXPORT_TITLES = {
    "date": "Дата",
    "full_name": "ФИО",
    "messages_7d": "Кол-во сообщений за 7 дней",
    "calls_7d": "Кол-во звонков за 7 дней",
}
REQUIRED_FIELDS = ("date", "full_name", "messages_7d", "calls_7d")

#: A 7-day count above this is kept but reported as implausible.
IMPLAUSIBLE_COUNT = 100_000
#: A count above this is rejected: it cannot be real, and int64 columns and sums
#: (messages + calls, totals) must never overflow.
MAX_COUNT = 2**31 - 1
#: Rows dated more than this after the reporting date get a ``future_date`` warning (they
#: stay "other dates"). Exports for a week normally end one day after it (D+1): a row dated
#: after the *next* reporting date is a typo or an export of the wrong period.
FUTURE_DAYS = 7

_ORG_ID_RE = re.compile(r"^(\d+)(?=$|[ _.\-])")
_SKIPPED_NAMES = frozenset({"thumbs.db", "desktop.ini"})
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y")

#: Row accounting per file: the columns of ``files.csv``.
ACCOUNTING_COLUMNS = {
    "file": "string",
    "org_id": "string",
    "status": "string",
    "rows_read": "int64",
    "rows_used": "int64",
    "rows_other_dates": "int64",
    "rows_duplicate": "int64",
    "rows_rejected": "int64",
}
#: ``files`` table: the accounting plus the first and last date of each file's rows
#: (ISO; empty when no row has a date), so that later steps never reopen ``data/raw``.
FILE_COLUMNS = {**ACCOUNTING_COLUMNS, "first_date": "string", "last_date": "string"}
PERSON_COLUMNS = {
    "org_id": "string",
    "person_key": "string",
    "full_name": "string",
    "user_type": "string",
    "link": "Int64",
    "messages_7d": "int64",
    "calls_7d": "int64",
    "file": "string",
    "row": "int64",
}


# ---------------------------------------------------------------------------------------
# Cell parsing
# ---------------------------------------------------------------------------------------

def parse_date(value: object) -> dt.date | None:
    """A date cell: real Excel date, ``DD.MM.YYYY`` or ISO text (a time part is ignored)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if 1 <= value < 2958466:  # an Excel serial date stored as a number
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        return None
    text = str(value).strip()
    head = text.split("T")[0].split(" ")[0]
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(head, fmt).date()
        except ValueError:
            continue
    return None


def parse_count(value: object) -> int | None:
    """A 7-day count: blank is 0; integers, integral floats and such text are accepted.

    Anything negative, fractional, non-numeric or above ``MAX_COUNT`` is rejected
    (``None``): one corrupt cell must reject its row, not stop the week.
    """
    if value is None:
        return 0
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_COUNT else None
    if isinstance(value, float):
        if value != value:
            return 0
        ok = math.isfinite(value) and value.is_integer() and 0 <= value <= MAX_COUNT
        return int(value) if ok else None
    text = (str(value).strip().replace("\u00a0", "").replace("\u202f", "")
            .replace("\u2009", "").replace(" ", "").replace(",", "."))
    if not text:
        return 0
    if text.startswith("'"):
        text = text[1:]
    if text.isascii() and text.isdigit():  # exact, however long
        number = int(text)
        return number if number <= MAX_COUNT else None
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number) or not number.is_integer() or not 0 <= number <= MAX_COUNT:
        return None
    return int(number)


def normalize_name(names: pd.Series) -> pd.Series:
    """Person-key form of names: trimmed, inner whitespace collapsed, ё→е, case-folded."""
    return (
        names.astype("string")
        .str.replace(r"[\s\u00a0\u202f]+", " ", regex=True)
        .str.strip()
        .str.casefold()
        .str.replace("ё", "е", regex=False)
    )


def _map_unique(values: list[object], func: Callable[[object], object]) -> list[object]:
    """Apply ``func`` once per distinct cell value (exports repeat dates and small counts).

    Cells are told apart by type too: ``1``, ``1.0`` and ``True`` are different cells.
    """
    cache: dict[tuple[type, Hashable], object] = {}
    out = []
    append = out.append
    for v in values:
        key = (type(v), v)
        try:
            append(cache[key])
        except KeyError:
            append(cache.setdefault(key, func(v)))
        except TypeError:  # an unhashable cell: keyed by its repr
            key = (type(v), repr(v))
            if key not in cache:
                cache[key] = func(v)
            append(cache[key])
    return out


def _cell_value(value: object) -> str:
    """A cell as trimmed text, in full (names, user types)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


_LETTERS_RU = re.compile(r"[а-яё]", re.IGNORECASE)
#: Two words of letters in any script: possibly a name written in Latin letters.
_TWO_WORDS = re.compile(r"[^\W\d_]{2,}[\s,.]+[^\W\d_]{2,}")


def _cell_text(value: object) -> str:
    """A cell quoted in a quality message: «31.02.2024», «-1», «abc» -- shortened.

    quality.csv is published and must not carry a person's name, so a cell holding
    Cyrillic letters (a name shifted into the date or count column, say) is described,
    not shown.
    """
    # control characters (NUL, ESC, ...) as U+FFFD; line breaks and tabs as spaces
    text = UNSAFE_CHARS.sub("\ufffd", " ".join(_cell_value(value).split()))
    if _LETTERS_RU.search(text) or _TWO_WORDS.search(text):
        return "«…» (текст скрыт)"
    shown = f"«{text[:60]}…»" if len(text) > 60 else f"«{text}»"
    if isinstance(value, UncomputedFormula):
        return shown + " (формула без сохранённого значения)"
    return shown


# ---------------------------------------------------------------------------------------
# One file
# ---------------------------------------------------------------------------------------

def org_id_from_filename(name: str) -> str | None:
    match = _ORG_ID_RE.match(name)
    return match.group(1) if match else None


_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


def display_name(path: Path) -> str:
    """The file name as text for tables and messages.

    A name that is not UTF-8 (unpacked from a Windows ZIP archive: cp866 or cp1251 bytes)
    is held by Python with surrogate escapes, which no UTF-8 output (Parquet, CSV) accepts;
    it is decoded with the Windows code page giving more Cyrillic letters. Control and
    invisible formatting characters are shown as U+FFFD.
    """
    name = path.name
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raw = os.fsencode(name)
        candidates = [raw.decode(enc, errors="replace") for enc in ("cp1251", "cp866")]
        name = max(candidates, key=lambda text: len(_CYRILLIC.findall(text)))
    return UNSAFE_CHARS.sub("\ufffd", name)  # no ESC sequences or bidi marks in outputs


def display_names(paths: list[Path]) -> dict[Path, str]:
    """:func:`display_name` of every file of a folder, made unique.

    Two names can read the same once a non-UTF-8 name is decoded (``1 а.csv`` in UTF-8 and
    in cp1251 side by side): the later one (in byte order) gets `` (2)``, `` (3)``… before
    its extension, so that every file keeps a line of its own in the row accounting.
    """
    out: dict[Path, str] = {}
    taken: set[str] = set()
    for path in sorted(paths, key=lambda p: os.fsencode(p.name)):
        name = display_name(path)
        stem, dot, suffix = name.rpartition(".") if "." in name else (name, "", "")
        n = 1
        while name in taken:
            n += 1
            name = f"{stem} ({n}){dot}{suffix}"
        taken.add(name)
        out[path] = name
    return out


def is_skipped_file(name: str) -> bool:
    return name.startswith(("~$", ".")) or name.casefold() in _SKIPPED_NAMES


#: Columns of the used rows of one file (``FileParse.used``), in this order.
USED_COLUMNS = ("full_name", "user_type", "link", "messages_7d", "calls_7d", "row")


@dataclass
class FileParse:
    """One export parsed against the reporting date (before de-duplication)."""

    file: str
    org_id: str | None
    status: str
    rows_read: int = 0
    rows_other_dates: int = 0
    rows_rejected: int = 0
    #: first and last date of the file's rows (any date, not only the reporting one)
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    #: valid rows of the reporting date as lists (``USED_COLUMNS``); None if unreadable.
    #: Plain lists, not a DataFrame: cheap to build and to send back from a worker process.
    used: dict[str, list[object]] | None = None
    findings: list[Finding] = field(default_factory=list)
    #: rejected rows per kind of reason («не распознана дата»), the first example of each
    #: (row number, full reason) and how many rejected rows carry the reporting date
    reject_kinds: dict[str, int] = field(default_factory=dict)
    reject_examples: dict[str, tuple[int, str]] = field(default_factory=dict)
    rows_rejected_on_date: int = 0

    def note_rejected(self, reasons: list[str], row: int, on_date: bool) -> None:
        kind = _reason_kind(reasons[0])
        self.reject_kinds[kind] = self.reject_kinds.get(kind, 0) + 1
        self.reject_examples.setdefault(kind, (row, "; ".join(reasons)))
        self.rows_rejected_on_date += on_date

    @property
    def rows(self) -> pd.DataFrame | None:
        """The used rows as a table (with ``org_id``, ``file`` and ``person_key``)."""
        if self.used is None:
            return None
        frame = pd.DataFrame({
            "org_id": pd.Series([self.org_id or ""] * len(self.used["row"]), dtype=object),
            **{c: pd.Series(self.used[c], dtype=object) for c in USED_COLUMNS},
            "file": pd.Series([self.file] * len(self.used["row"]), dtype=object),
        })
        frame["row"] = frame["row"].astype("int64")
        frame["person_key"] = normalize_name(frame["full_name"])
        return frame


def export_fields(extra: Mapping[str, Sequence[str]] | None = None
                  ) -> dict[str, HeaderMatcher]:
    """Header matchers of the export's fields: the built-in spellings, plus ``extra``
    spellings per field (``[export]`` of ``sferum.toml``), matched by normalised prefix."""
    if not extra:
        return EXPORT_FIELDS
    fields = dict(EXPORT_FIELDS)
    for field_name, spellings in extra.items():
        if spellings:
            builtin, more = fields[field_name], prefix_matcher(*spellings)
            fields[field_name] = (lambda b, m: lambda cell: b(cell) or m(cell))(builtin, more)
    return fields


def parse_export(path: Path, reporting_date: dt.date, org_id: str | None,
                 name: str | None = None,
                 export_headers: Mapping[str, Sequence[str]] | None = None) -> FileParse:
    """Read one export and split its rows into used / other dates / rejected.

    ``name`` is the file's name in tables and messages (default :func:`display_name`);
    ``export_headers`` extra header spellings per field (:func:`export_fields`)."""
    name = name or display_name(path)
    result = FileParse(file=name, org_id=org_id, status="used")
    try:
        table = read_columns(path, export_fields(export_headers), REQUIRED_FIELDS,
                             EXPORT_TITLES)
    except ReadError as exc:
        result.status = "unreadable"
        result.findings.append(Finding("unreadable_file", f"файл не прочитан: {exc}", name,
                                       org_id=org_id or ""))
        return result
    data = table.data
    result.rows_read = len(table)
    dates = _map_unique(data["date"], parse_date)
    known_dates = [d for d in dates if d is not None]
    if known_dates:
        result.first_date, result.last_date = min(known_dates), max(known_dates)
    messages = _map_unique(data["messages_7d"], parse_count)
    calls = _map_unique(data["calls_7d"], parse_count)
    names_in, row_numbers = data["full_name"], data["row"]

    used: list[int] = []
    names: list[str] = []
    future: list[int] = []
    future_limit = reporting_date + dt.timedelta(days=FUTURE_DAYS)
    # One pass in row order: the findings of rejected rows come out in row order.
    for i, day in enumerate(dates):
        if day is None:
            result.rows_rejected += 1
            reasons = [_bad_date_reason(data["date"][i], names_in[i])]
        elif day != reporting_date:
            result.rows_other_dates += 1
            if day > future_limit:
                future.append(i)
            continue
        else:
            person = _cell_value(names_in[i])
            reasons = []
            if person == "":
                reasons.append("пустое ФИО")
            elif isinstance(names_in[i], UncomputedFormula):
                reasons.append("ФИО — формула без сохранённого значения")
            if messages[i] is None:
                reasons.append("недопустимое число сообщений "
                               f"{_cell_text(data['messages_7d'][i])}")
            if calls[i] is None:
                reasons.append("недопустимое число звонков "
                               f"{_cell_text(data['calls_7d'][i])}")
            if not reasons:
                used.append(i)
                names.append(person)
                continue
            result.rows_rejected += 1
        result.note_rejected(reasons, row_numbers[i], day is not None)
        result.findings.append(Finding("rejected_row", "строка отклонена: " + "; ".join(reasons),
                                       name, row_numbers[i], org_id or ""))

    user_types, links = data["user_type"], data["link"]
    result.used = {
        "full_name": [" ".join(n.split()) for n in names],
        "user_type": [_cell_value(user_types[i]) for i in used],
        "link": [parse_count(links[i]) for i in used],
        "messages_7d": [messages[i] for i in used],
        "calls_7d": [calls[i] for i in used],
        "row": [row_numbers[i] for i in used],
    }
    for i in used:
        if messages[i] > IMPLAUSIBLE_COUNT or calls[i] > IMPLAUSIBLE_COUNT:
            result.findings.append(Finding(
                "implausible_count", f"счётчик больше {IMPLAUSIBLE_COUNT:,}".replace(",", " ")
                + " за 7 дней: значение учтено, проверьте выгрузку", name, row_numbers[i],
                org_id or ""))
    if future:
        latest = max(dates[i] for i in future)
        result.findings.append(Finding(
            "future_date",
            f"{rows_phrase(len(future))} с датой позже {future_limit:%d.%m.%Y} (самая поздняя — "
            f"{latest:%d.%m.%Y}); это другие даты, в расчёт не входят: проверьте период выгрузки",
            name, row_numbers[future[0]], org_id or ""))
    if not used:
        result.status = "no_data_for_date"
    return result


_QUOTED = re.compile(r"\s*«[^»]*»(?:\s*\([^)]*\))?")


def _reason_kind(reason: str) -> str:
    """A rejection reason without the quoted cell: «не распознана дата»."""
    return _QUOTED.sub("", reason).strip()


def no_usable_rows_message(p: FileParse) -> str:
    """Why no row of a file counts: the most common reason, how often, an example row."""
    kind, n = max(p.reject_kinds.items(), key=lambda item: item[1])
    row, example = p.reject_examples[kind]
    other = f", других дат: {p.rows_other_dates}" if p.rows_other_dates else ""
    return (f"ни одна строка файла не учтена (прочитано: {rows_phrase(p.rows_read)}, "
            f"отклонено: {p.rows_rejected}{other}); чаще всего — {kind} ({n} из "
            f"{p.rows_rejected}), например строка {row}: {example}. Сотрудники организации "
            "не посчитаны: исправьте файл (формат дат, числа) и перезапустите неделю")


def _special_kind(path: Path) -> str | None:
    """What a directory entry is when it is not a regular file or folder (never opened:
    reading a FIFO would block); None for files and folders."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "символическая ссылка, которая никуда не ведёт"
    except OSError as exc:
        return f"недоступен ({exc.strerror or exc})"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "именованный канал (FIFO)"
    if stat.S_ISSOCK(mode):
        return "сокет"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "файл устройства"
    return "не обычный файл"


def _bad_date_reason(date_cell: object, name_cell: object) -> str:
    if (normalize_header(date_cell).startswith("дата")
            and normalize_header(name_cell).startswith("фио")):
        return "повтор строки заголовка (выгрузки склеены в один файл?)"
    return f"не распознана дата {_cell_text(date_cell)}"


# ---------------------------------------------------------------------------------------
# The week
# ---------------------------------------------------------------------------------------

@dataclass
class CleanWeek:
    """Result of cleaning one week: the tables written to ``data/processed/<week>/``."""

    reporting_date: dt.date
    persons: pd.DataFrame  # one row per person on the reporting date (known orgs only)
    orgs: pd.DataFrame     # registry + export status + registered per organisation
    files: pd.DataFrame    # row accounting per file
    findings: pd.DataFrame


Job = tuple[Path, dt.date, str | None, str, Mapping[str, Sequence[str]] | None]


def _parse_job(args: Job) -> FileParse:
    return parse_export(*args)


def _map_jobs(jobs: list[Job], workers: int,
              progress: Callable[[int, int], None] | None,
              meanwhile: Callable[[], object] | None = None) -> list[FileParse]:
    """Parse the files, in ``workers`` processes when there are enough of them;
    ``meanwhile`` runs in a thread of this process while they read (it is started
    after they were forked: a fork never copies a lock that thread holds)."""
    total = len(jobs)
    if workers > 1 and total >= 2 * workers:
        # chunks of up to 32 files (fewer round trips), at least four chunks per worker
        chunk = max(1, min(32, total // (4 * workers)))
        with ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent) as pool:
            results = []
            parses = pool.map(_parse_job, jobs, chunksize=chunk)  # forks the workers
            if meanwhile is not None:
                threading.Thread(target=meanwhile, daemon=True,
                                 name="sferum-while-reading").start()
            for i, res in enumerate(parses, 1):
                results.append(res)
                if progress:
                    progress(i, total)
            return results
    results = []
    for i, job in enumerate(jobs, 1):
        results.append(_parse_job(job))
        if progress:
            progress(i, total)
    return results


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def clean_week(
    week_dir: Path,
    registry: pd.DataFrame,
    reporting_date: dt.date,
    *,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    export_headers: Mapping[str, Sequence[str]] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> CleanWeek:
    """Clean every export of a week folder against the registry (pure: writes nothing).

    ``export_headers``: extra header spellings per export field (``[export]``);
    ``meanwhile``: work of the caller's for a thread while worker processes read."""
    known = set(registry["org_id"])
    findings: list[Finding] = []
    jobs: list[Job] = []
    names = display_names(list(week_dir.iterdir()))
    for path in sorted(names, key=lambda p: p.name):
        name = names[path]
        special = _special_kind(path)
        if special is not None:
            findings.append(Finding("special_file", f"{special}: не выгрузка, не открывался и "
                                    "пропущен", name))
        elif path.is_dir():
            findings.append(Finding("skipped_file", "вложенная папка пропущена", name))
        elif is_skipped_file(name):
            findings.append(Finding("skipped_file", "служебный или скрытый файл пропущен", name))
        elif path.suffix.lower() not in TABLE_SUFFIXES:
            findings.append(Finding("unsupported_file",
                                    "файл не является выгрузкой (.xlsx, .xls, .csv) и не учтён",
                                    name))
        else:
            org_id = org_id_from_filename(name)
            jobs.append((path, reporting_date, org_id if org_id in known else None, name,
                         export_headers or None))

    parses = _map_jobs(jobs, workers, progress, meanwhile)

    # All used rows in file-name order, then row order; unknown files get a key of their own.
    cols: dict[str, list[object]] = {c: [] for c in ("org_id", *USED_COLUMNS, "file")}
    org_keys: list[str] = []
    for p in parses:
        if p.used is None:
            continue
        n = len(p.used["row"])
        for c in USED_COLUMNS:
            cols[c].extend(p.used[c])
        cols["org_id"].extend([p.org_id or ""] * n)
        cols["file"].extend([p.file] * n)
        org_keys.extend([p.org_id or f"?{p.file}"] * n)
    person_keys = normalize_name(pd.Series(cols["full_name"], dtype=object))

    # De-duplicate across all files: the first record of a person is kept.
    first: dict[tuple[str, str], tuple[str, int]] = {}
    keep: list[bool] = []
    dup_per_file: Counter[str] = Counter()
    for org_key, person_key, file, row, org_id in zip(
            org_keys, person_keys.tolist(), cols["file"], cols["row"], cols["org_id"],
            strict=True):
        key = (org_key, person_key)
        orig = first.get(key)
        if orig is None:
            first[key] = (file, row)
            keep.append(True)
            continue
        keep.append(False)
        dup_per_file[file] += 1
        where = (f"строке {orig[1]}" if orig[0] == file
                 else f"файле «{orig[0]}», строка {orig[1]}")
        findings.append(Finding("duplicate",
                                f"повтор сотрудника за отчётную дату (первая запись — в {where}); "
                                "учтён один раз", file, row, org_id))

    file_records = []
    for p in parses:
        findings.extend(p.findings)
        n_dup = dup_per_file[p.file]
        n_used = (0 if p.used is None else len(p.used["row"])) - n_dup
        status = p.status
        if p.org_id is None:
            status = "unknown_org"
            on_date = n_used + n_dup
            findings.append(Finding(
                "unknown_org",
                f"ID в имени файла не найден в реестре: не учтено {rows_phrase(p.rows_read)} "
                f"(из них за отчётную дату: {on_date})", p.file))
        elif status == "no_data_for_date" and p.rows_rejected and (
                p.rows_other_dates == 0 or p.rows_rejected_on_date):
            findings.append(Finding("no_usable_rows", no_usable_rows_message(p), p.file,
                                    org_id=p.org_id))
        elif status == "no_data_for_date":
            rejected = (f", из них отклонено: {p.rows_rejected} — см. замечания rejected_row"
                        if p.rows_rejected else "")
            findings.append(Finding(
                "no_data_for_date",
                f"нет строк за {reporting_date:%d.%m.%Y}, которые можно учесть (прочитано: "
                f"{rows_phrase(p.rows_read)}{rejected}); организация считается без выгрузки",
                p.file, org_id=p.org_id))
        file_records.append({
            "file": p.file, "org_id": p.org_id, "status": status, "rows_read": p.rows_read,
            "rows_used": n_used, "rows_other_dates": p.rows_other_dates,
            "rows_duplicate": n_dup, "rows_rejected": p.rows_rejected,
            "first_date": p.first_date.isoformat() if p.first_date else None,
            "last_date": p.last_date.isoformat() if p.last_date else None,
        })
    files = pd.DataFrame.from_records(file_records, columns=list(FILE_COLUMNS)).astype(FILE_COLUMNS)

    rows = pd.DataFrame({
        **{c: pd.Series(v, dtype=object) for c, v in cols.items()},
        "person_key": person_keys,
    })
    rows["row"] = rows["row"].astype("int64")
    # first records of organisations in the registry (unknown files have org_id "")
    counted = [k and o != "" for k, o in zip(keep, cols["org_id"], strict=True)]
    persons = (
        rows[pd.Series(counted, dtype=bool).to_numpy()]
        .sort_values(["org_id", "file", "row"], kind="stable")
        .reset_index(drop=True)
    )
    persons = persons[list(PERSON_COLUMNS)].astype(PERSON_COLUMNS)

    orgs = _org_status(registry, files, persons, findings, reporting_date)
    return CleanWeek(reporting_date, persons, orgs, files, findings_frame(findings))


def _org_status(registry: pd.DataFrame, files: pd.DataFrame, persons: pd.DataFrame,
                findings: list[Finding], reporting_date: dt.date) -> pd.DataFrame:
    known_files = files[files["org_id"].notna()]
    n_files = known_files.groupby("org_id").size()
    n_usable = known_files[known_files["status"] == "used"].groupby("org_id").size()
    n_unreadable = known_files[known_files["status"] == "unreadable"].groupby("org_id").size()
    registered = persons.groupby("org_id").size()

    def status(org_id: str) -> str:
        if n_usable.get(org_id, 0):
            return "reported"
        if n_unreadable.get(org_id, 0) and n_unreadable.get(org_id, 0) == n_files.get(org_id, 0):
            return "unreadable"
        if n_files.get(org_id, 0):
            return "no_data_for_date"
        return "missing_export"

    orgs = registry.assign(
        files=registry["org_id"].map(n_files).fillna(0).astype("int64"),
        status=registry["org_id"].map(status).astype("string"),
        registered=registry["org_id"].map(registered).fillna(0).astype("int64"),
    )
    for rec in orgs.itertuples(index=False):
        if rec.status == "missing_export":
            findings.append(Finding(
                "missing_export",
                f"нет файла выгрузки за неделю {reporting_date:%d.%m.%Y}: «{rec.org_name}» "
                f"({rec.mo}, {rec.org_type})", "", org_id=rec.org_id))
        if rec.files > 1:
            names = ", ".join(f"«{f}»" for f in known_files.loc[
                known_files["org_id"] == rec.org_id, "file"])
            findings.append(Finding(
                "multiple_exports",
                f"у организации {rec.org_id} несколько файлов ({names}): "
                "повторы сотрудников учтены один раз", "", org_id=rec.org_id))
    return orgs


def check_accounting(files: pd.DataFrame) -> pd.DataFrame:
    """Files whose row accounting does not add up (empty when all is well)."""
    total = (files["rows_used"] + files["rows_other_dates"] + files["rows_duplicate"]
             + files["rows_rejected"])
    return files[total != files["rows_read"]]
