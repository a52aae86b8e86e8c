"""Errors the user can fix, shared by the modules that raise them (no heavy imports: the
CLI's quick commands import this)."""

from __future__ import annotations

from pathlib import Path

from .formatting import problems_text


class UserError(Exception):
    """A problem the user can fix (missing folder, missing registry): Russian message."""


class RegistryError(Exception):
    """The registry cannot be used. ``problems`` are Russian, one per bad row or column."""

    def __init__(self, path: Path | None, problems: list[str]):
        self.path = path
        self.problems = problems
        where = f" ({path.name})" if path else ""
        super().__init__(problems_text(f"реестр организаций{where}", problems))
