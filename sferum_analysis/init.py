"""``sferum init DIR``: a new workspace for a centre of any region."""

from __future__ import annotations

import shutil
from pathlib import Path

from .config import MUNICIPALITIES_FILE, NOTEBOOKS_DIR, PACKAGE_DATA_DIR, REGISTRY_STEM
from .run_config import DEFAULT_REGION, settings_template
from .workspace import SETTINGS_FILE, WorkspaceError

#: Headers of the registry template: accepted spellings of contract 1.1.
REGISTRY_HEADERS = ("ID Сферум", "Наименование организации", "Муниципальное образование",
                    "Тип организации", "Численность педагогов")
#: The exploration notebook an analyst opens in ``sferum lab``.
EXPLORE_NOTEBOOK = "10_explore.ipynb"
WORKSPACE_FILES = PACKAGE_DATA_DIR.parent / "workspace_files"


def _write_registry_template(path: Path) -> None:
    if path.suffix == ".csv":
        path.write_text(",".join(REGISTRY_HEADERS) + "\n", encoding="utf-8")
        return
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Организации"
    sheet.append(list(REGISTRY_HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDE", (14, 48, 30, 18, 22), strict=True):
        sheet.column_dimensions[column].width = width
    book.save(path)


def _write_municipalities(path: Path, region: str) -> None:
    """The built-in list for its own region; else a template with the header only."""
    from . import municipalities

    if region == DEFAULT_REGION:
        shutil.copyfile(PACKAGE_DATA_DIR / MUNICIPALITIES_FILE, path)
    else:
        municipalities.write_template(path)


def init_workspace(directory: str | Path, *, region: str = "",
                   registry_format: str = "xlsx") -> Path:
    """Create a workspace in ``directory`` (new or empty); refuse to overwrite one."""
    root = Path(directory).expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"{root} — это файл, а не папка")
    if (root / SETTINGS_FILE).exists():
        raise WorkspaceError(f"{root} уже рабочая папка (есть {SETTINGS_FILE}); она не "
                             "перезаписывается")
    if root.is_dir() and any(root.iterdir()):
        raise WorkspaceError(f"папка {root} не пуста; рабочая папка создаётся в новой или "
                             "пустой папке, чтобы ничего не перезаписать")
    region = " ".join(region.split())
    registry = root / "data" / "raw" / "registry"
    registry.mkdir(parents=True)
    (root / "data" / "processed").mkdir(mode=0o700)
    (root / "reports").mkdir()
    (root / "notebooks").mkdir()
    (root / SETTINGS_FILE).write_text(settings_template(region), encoding="utf-8")
    _write_registry_template(registry / f"{REGISTRY_STEM}.{registry_format}")
    _write_municipalities(registry / MUNICIPALITIES_FILE, region)
    shutil.copyfile(NOTEBOOKS_DIR / EXPLORE_NOTEBOOK, root / "notebooks" / EXPLORE_NOTEBOOK)
    shutil.copyfile(WORKSPACE_FILES / "README.md", root / "README.md")
    return root
