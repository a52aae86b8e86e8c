"""A centre's working folder (workspace): where it is, and what its ``sferum.toml`` says.

A workspace is a folder with a ``sferum.toml`` (contract, section 5)::

    <workspace>/sferum.toml
    <workspace>/data/raw/registry/organizations.xlsx   (or .xls / .csv)
    <workspace>/data/raw/registry/municipalities.csv   (optional: the region's МО)
    <workspace>/data/raw/<YYYY-MM-DD>/...
    <workspace>/data/processed/   <workspace>/reports/

Every command works in the workspace of the current folder: the nearest folder, from the
current one upwards, that holds a ``sferum.toml``. ``--data-dir`` / ``--reports-dir`` and
``SFERUM_DATA_DIR`` / ``SFERUM_REPORTS_DIR`` override its folders. The file is read once
(:func:`read_settings`) into the keys of :class:`~sferum_analysis.run_config.RunConfig`.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .config import Paths
from .errors import UserError

SETTINGS_FILE = "sferum.toml"
#: Environment variables that override the workspace's folders (a server, a test).
ENV_DATA_DIR = "SFERUM_DATA_DIR"
ENV_REPORTS_DIR = "SFERUM_REPORTS_DIR"


class WorkspaceError(ValueError):
    """No workspace, or a ``sferum.toml`` that cannot be used: one Russian line."""


def find_workspace(start: Path | None = None) -> Path | None:
    """The nearest folder from ``start`` (default: the current folder) upwards that holds
    a ``sferum.toml``; None outside any workspace."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder
    return None


def _given(name: str, value: str | None) -> Path | None:
    """A folder given on the command line or in the environment; empty is an error."""
    if value is None:
        return None
    if not str(value).strip():
        raise WorkspaceError(f"пустое значение {name}: укажите папку (пустое значение не "
                             "означает «по умолчанию»)")
    return Path(value).expanduser().resolve()


@dataclass(frozen=True)
class Workspace:
    """Where a command works: its folders and the ``sferum.toml`` that applies (if any)."""

    paths: Paths
    #: The workspace root (folder of ``sferum.toml``); None when both folders were given
    #: outside any workspace.
    root: Path | None

    @property
    def settings_file(self) -> Path | None:
        return self.root / SETTINGS_FILE if self.root else None

    @classmethod
    def locate(cls, data_dir: str | None = None, reports_dir: str | None = None, *,
               cwd: Path | None = None, environ: dict[str, str] | None = None) -> Workspace:
        """Folders and settings for a command.

        Folders: flags first, then the environment, then the workspace. The workspace
        (whose ``sferum.toml`` applies) is the one holding the data folder when that is
        given and lies in one, else the one of ``cwd``. Without a reports folder the
        workspace's ``reports/`` is used, or, outside any workspace, ``reports`` next to the
        data folder. Raises :class:`WorkspaceError` (Russian) when nothing says where the
        data is.
        """
        env = os.environ if environ is None else environ
        data = _given("--data-dir", data_dir) or _given(ENV_DATA_DIR, env.get(ENV_DATA_DIR))
        reports = (_given("--reports-dir", reports_dir)
                   or _given(ENV_REPORTS_DIR, env.get(ENV_REPORTS_DIR)))
        root = (find_workspace(data) if data is not None else None) or find_workspace(cwd)
        if data is None:
            if root is None:
                raise WorkspaceError(
                    f"здесь нет рабочей папки (файла {SETTINGS_FILE} в "
                    f"{Path(cwd or Path.cwd()).resolve()} и выше), и папка данных не указана "
                    "(--data-dir). Создайте рабочую папку: sferum init ПАПКА, перейдите в неё "
                    "и повторите команду")
            data = root / "data"
        if reports is None:
            reports = root / "reports" if root is not None else data.parent / "reports"
        return cls(Paths(data_dir=data, reports_dir=reports), root)


# --------------------------------------------------------------------------- sferum.toml
def read_settings(path: Path | None) -> dict[str, dict[str, object]]:
    """The sections of a ``sferum.toml`` as plain dicts (``{}`` without a file).

    Only syntax is checked here; :meth:`RunConfig.from_settings` checks keys and types.
    """
    if path is None:
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        import re

        where = re.search(r"line (\d+), column (\d+)", str(exc))
        place = f": строка {where[1]}, позиция {where[2]}" if where else ""
        raise WorkspaceError(f"{path}: ошибка в записи TOML{place} — проверьте скобки "
                             "разделов [ ], кавычки и знак = (пример в README)") from None
    except UnicodeDecodeError:
        raise WorkspaceError(f"{path}: файл не в кодировке UTF-8") from None
    except OSError as exc:
        raise WorkspaceError(f"{path}: не удалось прочитать ({exc.strerror})") from None
    for section, value in data.items():
        if not isinstance(value, dict):
            raise WorkspaceError(f"{path}: «{section}» должен быть разделом [{section}], "
                                 "а не отдельным ключом")
    return data


def check_not_files(paths: Paths) -> None:
    """Refuse a reports or data path that is a file."""
    for what, folder in (("папка отчётов", paths.reports_dir), ("папка данных", paths.data_dir)):
        if folder.exists() and not folder.is_dir():
            raise UserError(f"{what} {folder} — это файл, а не папка. Укажите папку")
