"""Generate the bad-input corpus: broken, hostile and odd files an analyst may receive.

Run ``.venv/bin/python tests/bad_inputs/make_corpus.py`` to (re)write the committed files;
the output is deterministic (fixed workbook timestamps and ZIP entry dates), and
``tests/test_bad_inputs.py`` checks that the committed corpus is what this script writes.

Layout (reporting week 2024-01-29; every export belongs to its own organisation, so the
behaviour of each file can be checked alone)::

    registry/organizations.csv          registry of every organisation of the corpus
    registry_duplicate_ids.csv          the same registry with one id given twice
    registry_missing_columns.csv        a registry without the МО and staff columns
    2024-01-29/<org_id> <what>.<ext>    one broken or odd export per organisation

The two 5 MB files of binary noise (``.xlsx`` and ``.csv``) are *not* committed: tests
create them in a temporary folder with :func:`write_noise`.

What each file is and what the pipeline must do with it is in :data:`CORPUS` (and in the
docstrings of the tests).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import shutil
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WEEK = "2024-01-29"
D = "29.01.2024"        # the reporting date
D_PREV = "28.01.2024"   # another date of the export window
D_NEXT = "30.01.2024"   # the last day of the window Sferum exports for this week (D+1)

HEADER = ["Дата", "ФИО", "Тип пользователя", "Связь с родителями",
          "Кол-во сообщений за 7 дней", "Кол-во звонков за 7 дней"]
TITLE = "Статистика по учителям 23.01.2024 - 30.01.2024"
REGISTRY_HEADER = ["ID Сферум", "Наименование", "МО", "Тип", "Численность педагогов"]
NOISE_BYTES = 5 * 1024 * 1024

_FIXED_TIME = dt.datetime(2024, 1, 30, 9, 0, 0)
_ZIP_TIME = (2024, 1, 30, 9, 0, 0)

#: file name -> (org id, what it is, expected behaviour: a short summary for people)
CORPUS: dict[str, tuple[str, str]] = {
    "101 truncated.xlsx": ("xlsx cut in the middle", "unreadable_file"),
    "102 not a zip.xlsx": ("text named .xlsx", "unreadable_file"),
    "103 password protected.xlsx": ("OLE/CFB container (encrypted workbook) named .xlsx",
                                    "unreadable_file"),
    "104 real xls renamed.xlsx": ("a genuine .xls renamed to .xlsx", "read by content"),
    "105 empty.xlsx": ("0 bytes", "unreadable_file"),
    "106 empty.xls": ("0 bytes", "unreadable_file"),
    "107 empty.csv": ("0 bytes", "unreadable_file"),
    "108 header only.xlsx": ("title and header, no rows", "no_data_for_date"),
    "109 header only.csv": ("header, no rows", "no_data_for_date"),
    "110 no fio column.xlsx": ("header without ФИО", "unreadable_file naming «ФИО»"),
    "111 extra columns.csv": ("unknown columns before and after the export's", "used"),
    "112 merged header.xlsx": ("merged title and merged header cells", "used"),
    "113 formulas.xlsx": ("formula cells with and without a cached value",
                          "cached value used; no cached value: rejected_row"),
    "114 numbers as text.csv": ("'1 234', '3,0', '2,5' ...", "integral: used; else rejected"),
    "115 numbers as text.xlsx": ("the same as text cells of a workbook", "same as CSV"),
    "116 huge counts.xlsx": ("150 000, 10^12, 1e300, 24 digits", "implausible / rejected"),
    "117 negative counts.csv": ("-1, -0,5, −3 (minus sign)", "rejected_row"),
    "118 future dates.csv": ("rows dated after the reporting week", "other dates + future_date"),
    "119 utf16.csv": ("UTF-16 LE with BOM, tab-separated (Excel 'Unicode text')", "used"),
    "120 utf16 be.csv": ("UTF-16 BE with BOM, ';'", "used"),
    "121 far cell.xlsx": ("one stray value in cell XFD1048576", "unreadable_file"),
    "122 html as xls.xls": ("a web page saved as .xls", "unreadable_file"),
    "123 nul bytes.csv": ("NUL characters deep inside a CSV", "unreadable_file"),
    "124 bad dates.xlsx": ("31.02.2024, blank date, Excel serial date, ISO with time",
                           "rejected / used"),
    "125 data on second sheet.xlsx": ("empty first sheet, export on the second", "used"),
    "126 two exports pasted.csv": ("the header again in the middle, rows repeated",
                                   "rejected header row + duplicates"),
    "127 only title.csv": ("title lines, no header", "unreadable_file"),
    "128 damaged ole.xls": ("the first bytes of a compound file, the rest zeros",
                            "unreadable_file"),
    "129 far cell.xls": ("a genuine .xls with one value in cell IV65536", "unreadable_file"),
}
NOISE = {"130 noise.xlsx": "5 MB of binary noise", "131 noise.csv": "5 MB of binary noise"}

#: org ids of the corpus (registry rows); the noise files' organisations too.
ORG_IDS = sorted({name.split()[0] for name in [*CORPUS, *NOISE]}, key=int)


# ------------------------------------------------------------------------------ writers
def _deterministic_zip(path: Path) -> None:
    """Rewrite a ZIP (xlsx) with fixed entry dates, so the bytes never change."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info.filename)) for info in zin.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in entries:
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-30T09:00:00Z",
                              data)
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            zout.writestr(fixed, data)
    path.write_bytes(buf.getvalue())


def _patch_sheet(path: Path, patch) -> None:
    """Apply ``patch(bytes) -> bytes`` to the first worksheet's XML of an xlsx."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info.filename)) for info in zin.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in entries:
            if info.filename == "xl/worksheets/sheet1.xml":
                data = patch(data)
            zout.writestr(info, data)
    path.write_bytes(buf.getvalue())


def _workbook():
    import openpyxl

    wb = openpyxl.Workbook()
    wb.properties.created = _FIXED_TIME
    wb.properties.modified = _FIXED_TIME
    wb.properties.creator = "sferum-analysis tests"
    return wb


def _save(wb, path: Path, patch=None) -> None:
    wb.save(path)
    if patch is not None:
        _patch_sheet(path, patch)
    _deterministic_zip(path)


def xlsx(path: Path, rows, *, header=HEADER, title_lines=(TITLE,), patch=None) -> Path:
    wb = _workbook()
    ws = wb.active
    ws.title = "Лист1"
    for line in title_lines:
        ws.append([line])
    if header is not None:
        ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    _save(wb, path, patch)
    return path


def csv_text(rows, *, header=HEADER, sep=";", title_lines=()) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    for line in title_lines:
        buf.write(line + "\r\n")
    if header is not None:
        writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def write_noise(folder: Path) -> list[Path]:
    """The two 5 MB files of deterministic binary noise, written into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, name in enumerate(sorted(NOISE)):
        path = folder / name
        path.write_bytes(random.Random(i).randbytes(NOISE_BYTES))
        out.append(path)
    return out


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (CFB v3, 512-byte sectors) holding ``streams``.

    Every stream must be at least 4096 bytes long (no mini stream is written).
    """
    import struct

    end, free, fat_sect, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    fat = [fat_sect, end]  # sector 0: the FAT, sector 1: the directory
    starts, body = [], b""
    for data in streams.values():
        assert len(data) >= 4096 and len(data) % 512 == 0
        first, count = len(fat), len(data) // 512
        starts.append(first)
        fat += [first + k + 1 for k in range(count - 1)] + [end]
        body += data
    assert len(fat) <= 128
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0" if name else b""
        return (raw.ljust(64, b"\0") + struct.pack("<HBB3I", len(raw), kind, 1, nostream, right,
                                                   child)
                + bytes(16 + 4 + 16) + struct.pack("<IQ", start, size))

    names = list(streams)
    directory = entry("Root Entry", 5, 1, nostream, end, 0)
    for k, name in enumerate(names):
        right = k + 2 if k + 1 < len(names) else nostream
        directory += entry(name, 2, nostream, right, starts[k], len(streams[name]))
    directory = directory.ljust(512, b"\0")
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
              + struct.pack("<HHHHH6xIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 0, 4096, end,
                            0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    assert len(header) == 512
    return header + struct.pack("<128I", *fat) + directory + body


def person(i: int, date: str = D, messages: object = 1, calls: object = 0) -> list[object]:
    """A synthetic person (never a real name): «Тестова Анна 1», …"""
    return [date, f"Тестова Анна {i}", "teacher", 0, messages, calls]


# ------------------------------------------------------------------------------ the files
def make_exports(week: Path) -> None:  # noqa: PLR0915 - one block per corpus file
    import xlwt

    good = [person(1), person(2, messages=0), person(1, date=D_PREV)]

    # 101: a valid workbook cut in half
    full = xlsx(week / "101 truncated.xlsx", good)
    data = full.read_bytes()
    full.write_bytes(data[: len(data) // 2])

    (week / "102 not a zip.xlsx").write_text("Это не книга Excel, а текст.\n", encoding="utf-8")

    # 103: what Excel writes for a password-protected workbook: an OLE compound file with
    # the streams EncryptionInfo and EncryptedPackage instead of a ZIP
    (week / "103 password protected.xlsx").write_bytes(compound_file({
        "EncryptionInfo": bytes(range(256)) * 16,
        "EncryptedPackage": random.Random(103).randbytes(4096),
    }))
    # 128: only the first bytes of a compound file are right (a damaged download); such a
    # file made the Excel reader loop for ever
    (week / "128 damaged ole.xls").write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"
        + b"\x06\x00" + bytes(4096 - 34))

    # 104: a real BIFF .xls that someone renamed to .xlsx
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Лист1")
    for r, row in enumerate([HEADER, *good]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(week / "104 real xls renamed.xlsx"))

    for name in ("105 empty.xlsx", "106 empty.xls", "107 empty.csv"):
        (week / name).write_bytes(b"")

    xlsx(week / "108 header only.xlsx", [])
    (week / "109 header only.csv").write_text(csv_text([]), encoding="utf-8")

    xlsx(week / "110 no fio column.xlsx", [[r[0], *r[2:]] for r in good],
         header=[h for h in HEADER if h != "ФИО"])

    extra_header = ["№", *HEADER, "Email", "Комментарий"]
    extra_rows = [[i, *row, f"user{i}@example.org", "—"] for i, row in enumerate(good, 1)]
    (week / "111 extra columns.csv").write_text(csv_text(extra_rows, header=extra_header),
                                                encoding="utf-8")

    # 112: the title merged across the table, "ФИО" merged over the next header cell
    wb = _workbook()
    ws = wb.active
    ws.append([TITLE])
    ws.append(HEADER)
    for row in good:
        ws.append(row)
    ws.merge_cells("A1:F1")
    ws.merge_cells("B2:C2")
    _save(wb, week / "112 merged header.xlsx")

    # 113: row 3 has formulas without a cached value (written by a program, never opened
    # in Excel); row 4 has a formula with the value Excel saved (2 messages)
    def cache_value(xml: bytes) -> bytes:
        return re.sub(rb'(<c r="E5"[^>]*>)<f>1\+1</f><v\s*/>|(<c r="E5"[^>]*>)<f>1\+1</f>'
                      rb"(?:<v></v>)?",
                      lambda m: (m.group(1) or m.group(2)) + b"<f>1+1</f><v>2</v>", xml)

    xlsx(week / "113 formulas.xlsx",
         [person(1), [D, "Тестова Анна 2", "teacher", 0, "=1+1", "=0"],
          [D, "Тестова Анна 3", "teacher", 0, "=1+1", 0]],
         patch=cache_value)

    text_numbers = [
        person(1, messages="1 234"),       # used: 1234
        person(2, messages="3,0"),         # used: 3
        person(3, messages="2,5"),         # rejected: not an integer
        person(4, calls="1\u00a0000"),     # used: 1000 (no-break space)
        person(5, messages="12abc"),       # rejected
        person(6, messages=" 7 "),         # used: 7
    ]
    (week / "114 numbers as text.csv").write_bytes(
        csv_text(text_numbers).encode("cp1251"))
    xlsx(week / "115 numbers as text.xlsx", text_numbers)

    xlsx(week / "116 huge counts.xlsx", [
        person(1, messages=150_000),                     # used, implausible_count
        person(2, messages=10**12),                      # rejected
        person(3, calls=1e300),                          # rejected
        person(4, messages="999999999999999999999999"),  # rejected
        person(5),                                       # used
    ])

    (week / "117 negative counts.csv").write_text(csv_text([
        person(1, messages=-1),          # rejected
        person(2, calls="-0,5"),         # rejected
        person(3, messages="\u22123"),   # rejected (minus sign)
        person(4),                       # used
    ]), encoding="utf-8")

    (week / "118 future dates.csv").write_text(csv_text([
        person(1),                       # used
        person(1, date=D_NEXT),          # other date, normal (D+1 is in every export)
        person(1, date="15.02.2024"),    # other date, future_date
        person(1, date="29.01.2099"),    # other date, future_date
    ]), encoding="utf-8")

    (week / "119 utf16.csv").write_bytes(
        b"\xff\xfe" + csv_text(good, sep="\t").encode("utf-16-le"))
    (week / "120 utf16 be.csv").write_bytes(
        b"\xfe\xff" + csv_text(good, sep=";").encode("utf-16-be"))

    # 121: a stray value far away (Ctrl+End lands on XFD1048576)
    def far_cell(xml: bytes) -> bytes:
        return xml.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr">'
                           b"<is><t>x</t></is></c></row></sheetData>")

    xlsx(week / "121 far cell.xlsx", good, patch=far_cell)

    (week / "122 html as xls.xls").write_text(
        "<html><body><table><tr><td>Дата</td><td>ФИО</td></tr></table></body></html>\n",
        encoding="utf-8")

    nul_text = csv_text([*good, *(person(i) for i in range(3, 200))])
    cut = len(nul_text) - 40
    (week / "123 nul bytes.csv").write_bytes(
        (nul_text[:cut] + "\x00\x00" + nul_text[cut:]).encode("utf-8"))

    xlsx(week / "124 bad dates.xlsx", [
        person(1, date="31.02.2024"),               # rejected
        person(2, date=None),                        # rejected: blank date
        person(3, date=dt.datetime(2024, 1, 29)),    # used: a real Excel date
        person(4, date=45320),                       # used: serial number of 29.01.2024
        person(5, date="2024-01-29T10:15:00"),       # used: ISO with time
    ])

    wb = _workbook()
    wb.active.title = "Пусто"
    ws = wb.create_sheet("Выгрузка")
    ws.append([TITLE])
    ws.append(HEADER)
    for row in good:
        ws.append(row)
    _save(wb, week / "125 data on second sheet.xlsx")

    pasted = csv_text(good) + csv_text(good)
    (week / "126 two exports pasted.csv").write_text(pasted, encoding="utf-8")

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Выгрузка")
    for r, row in enumerate([HEADER, *good]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    sheet.write(65535, 255, "x")
    book.save(str(week / "129 far cell.xls"))

    (week / "127 only title.csv").write_text(TITLE + "\r\nВыгрузка не сформирована\r\n",
                                             encoding="utf-8")


def make_registry(out: Path) -> None:
    rows = [[org_id, f"ДС «Тест {org_id}»", "г. Орёл", "ДОО", 10] for org_id in ORG_IDS]
    (out / "registry").mkdir(parents=True, exist_ok=True)
    (out / "registry" / "organizations.csv").write_text(
        csv_text(rows, header=REGISTRY_HEADER), encoding="utf-8")
    (out / "registry_duplicate_ids.csv").write_text(
        csv_text([*rows[:3], [rows[1][0], "Дубль", "Ливны", "ОО", 5], *rows[3:]],
                 header=REGISTRY_HEADER), encoding="utf-8")
    (out / "registry_missing_columns.csv").write_text(
        csv_text([r[:2] + r[3:4] for r in rows], header=["ID Сферум", "Наименование", "Тип"]),
        encoding="utf-8")


def generate(out: Path = HERE) -> list[Path]:
    """Write the committed corpus into ``out``; return the files written."""
    week = out / WEEK
    if week.exists():
        shutil.rmtree(week)
    week.mkdir(parents=True)
    make_exports(week)
    make_registry(out)
    return sorted(p for p in out.rglob("*") if p.is_file() and p.suffix != ".py")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for path in generate(target):
        print(path.relative_to(target), path.stat().st_size)
