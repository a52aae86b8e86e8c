"""The register of organisations: id, name, municipality, type, staff headcount."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import RegistryError
from .formatting import UNSAFE_CHARS
from .municipalities import Municipalities, UnknownMunicipality
from .reading import ReadError, exact_matcher, normalize_header, read_table

FIELDS = {
    "org_id": exact_matcher("org_id", "ID", "ID Сферум", "Идентификатор", "schoolId",
                            "Код организации"),
    "org_name": exact_matcher("org_name", "Наименование", "Наименование организации",
                              "Организация"),
    "mo": exact_matcher("mo", "МО", "Муниципальное образование", "Район", "Муниципалитет"),
    "org_type": exact_matcher("org_type", "Тип", "Тип организации", "Вид организации"),
    "staff_total": exact_matcher("staff_total", "Численность педагогов",
                                 "Численность сотрудников",
                                 "Всего педагогических работников"),
}
TITLES = {
    "org_id": "ID Сферум",
    "org_name": "Наименование организации",
    "mo": "МО",
    "org_type": "Тип организации",
    "staff_total": "Численность педагогов",
}

ORG_TYPES = ("ДОО", "ОО", "СПО", "ДО")

# Spellings of organisation types seen in registers (normalised: casefold, ё→е).
_TYPE_ALIASES = {
    "доо": "ДОО", "доу": "ДОО", "детский сад": "ДОО", "детсад": "ДОО",
    "дошкольная образовательная организация": "ДОО",
    "оо": "ОО", "школа": "ОО", "оу": "ОО", "общеобразовательная организация": "ОО",
    "спо": "СПО", "колледж": "СПО", "техникум": "СПО",
    "профессиональная образовательная организация": "СПО",
    "до": "ДО", "удо": "ДО", "дополнительное образование": "ДО",
    "организация дополнительного образования": "ДО",
}


def normalize_org_id(value: object) -> str | None:
    """Digits of an organisation id, read as text: ``123.0`` from Excel becomes ``123``."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and value >= 0 else None
    if isinstance(value, int):
        return str(value) if value >= 0 else None
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text if text.isdigit() and text.isascii() else None


def normalize_org_type(value: object) -> str | None:
    key = normalize_header(value).replace(".", "")
    if key.upper() in ORG_TYPES:
        return key.upper()
    return _TYPE_ALIASES.get(key)


#: Upper bound of a plausible staff headcount of one organisation; above it is an error
#: (a corrupt cell such as ``1e30`` must be reported, not overflow the int64 column).
MAX_STAFF = 1_000_000


def _staff(value: object) -> int | None:
    """Staff headcount: an integer 0..MAX_STAFF (``12``, ``12.0``, ``"1 204"``), else None."""
    if value is None or (isinstance(value, float) and value != value) or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_STAFF else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and 0 <= value <= MAX_STAFF else None
    text = str(value).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() and 0 <= number <= MAX_STAFF else None


def read_registry(path: Path, municipalities: Municipalities | None = None) -> pd.DataFrame:
    """Read and validate the registry; all problems are raised at once as RegistryError.

    ``mo`` is matched against ``municipalities`` (the region's list; the built-in Oryol list
    if None): a value outside it is an error naming the row, the value and the closest
    names of that list. Returns columns
    ``org_id, org_name, mo, mo_order, org_type, staff_total, registry_row`` (``mo_order``
    1..N of the list) sorted by type, canonical municipality order and id.
    """
    mun = Municipalities.builtin() if municipalities is None else municipalities
    try:
        table = read_table(path, FIELDS, required=list(FIELDS), field_titles=TITLES)
    except ReadError as exc:
        raise RegistryError(path, [str(exc)]) from None
    order = mun.order_of()
    problems: list[str] = []
    records = []
    seen: dict[str, int] = {}
    for rec in table.frame.to_dict("records"):
        row = int(rec["row"])
        org_id = normalize_org_id(rec["org_id"])
        if org_id is None:
            problems.append(f"строка {row}: неверный ID организации «{_show(rec['org_id'])}»")
        elif org_id in seen:
            problems.append(f"строка {row}: ID {org_id} повторяет строку {seen[org_id]}")
        else:
            seen[org_id] = row
        try:
            mo = mun.canonicalize(rec["mo"])
        except UnknownMunicipality as exc:
            problems.append(f"строка {row}: {exc}")
            mo = None
        org_type = normalize_org_type(rec["org_type"])
        if org_type is None:
            problems.append(
                f"строка {row}: неизвестный тип организации «{_show(rec['org_type'])}» "
                f"(допустимо: {', '.join(ORG_TYPES)}, «детский сад», «школа»)"
            )
        staff = _staff(rec["staff_total"])
        if staff is None:
            problems.append(
                f"строка {row}: численность педагогов должна быть целым числом от 0 до "
                f"{MAX_STAFF:_}".replace("_", " ")
                + f", получено «{_show(rec['staff_total'])}»"
            )
        name = "" if rec["org_name"] is None else " ".join(
            UNSAFE_CHARS.sub(" ", str(rec["org_name"])).split())  # no ESC or bidi marks
        records.append({
            "org_id": org_id, "org_name": name, "mo": mo, "mo_order": order.get(mo, 0),
            "org_type": org_type, "staff_total": staff, "registry_row": row,
        })
    if not records and not problems:
        problems.append("в реестре нет ни одной организации")
    if problems:
        raise RegistryError(path, problems)
    return (
        pd.DataFrame.from_records(records)
        .astype({"org_id": "string", "org_name": "string", "mo": "string", "mo_order": "int64",
                 "org_type": "string", "staff_total": "int64", "registry_row": "int64"})
        .sort_values(["org_type", "mo_order", "org_id"], kind="stable")
        .reset_index(drop=True)
    )


def _show(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()[:80]
