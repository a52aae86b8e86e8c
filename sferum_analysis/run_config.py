"""The run configuration: one object for every setting of a run, built once.

Sources, each overriding the one before: the defaults below, the workspace's
``sferum.toml`` (:meth:`RunConfig.from_settings`), then command-line flags or notebook
parameters (:meth:`RunConfig.override`). Every value is validated with a Russian message
naming its key. The metrics step stores the configuration with the processed week
(:class:`~sferum_analysis.store.WeekStore`), and every later step (the report, the next
week's comparison) reads it back from there instead of taking its own copy.

:data:`KEYS` is the one list of settings: the ``sferum.toml`` template that ``sferum init``
writes and the README's table are built from it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .rules import SHARP_CHANGE_PP, ActiveRule

if TYPE_CHECKING:
    from .workspace import Workspace

#: Editions of the report (display texts live with the report's texts).
EDITIONS = ("ministry", "internal")
#: Fields of an export whose header spellings ``[export]`` may extend (contract 1.2).
EXPORT_FIELDS = ("date", "full_name", "user_type", "link", "messages_7d", "calls_7d")
#: The built-in region: its municipalities ship with the package.
DEFAULT_REGION = "Орловская область"
#: Default quiet period of ``sferum run --pending`` (minutes since the week folder changed).
QUIET_MINUTES = 15


class ConfigError(ValueError):
    """A setting or parameter that cannot be used: one Russian line naming it."""


@dataclass(frozen=True)
class Key:
    """One setting of ``sferum.toml``: where it lives, its type and what it means."""

    section: str
    name: str
    kind: str  # "str", "int", "float", "choice", "headers"
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    #: the RunConfig field (or ``rule.<field>``) it sets
    target: str = ""


KEYS: tuple[Key, ...] = (
    Key("region", "name", "str", "официальное название региона в именительном падеже; "
        "стоит в заголовке каждого отчёта и страницы", target="region"),
    Key("run", "active_rule", "choice", "правило активности: any — за 7 дней хотя бы одно "
        "сообщение или звонок; quota — не меньше quota_messages сообщений и quota_calls "
        "звонков", choices=("any", "quota"), target="rule.kind"),
    Key("run", "quota_messages", "int", "порог сообщений за 7 дней для правила quota и "
        "проверки quota_jump", minimum=0, target="rule.min_messages"),
    Key("run", "quota_calls", "int", "порог звонков за 7 дней для правила quota и проверки "
        "quota_jump", minimum=0, target="rule.min_calls"),
    Key("run", "target", "float", "целевой % активности (линия на диаграммах, столбец «До "
        "цели»); 0 — без цели", minimum=0, maximum=100, target="target_pct"),
    Key("run", "jump_threshold", "float", "порог замечания sharp_change: изменение % МО за "
        "неделю больше стольких процентных пунктов", minimum=0, maximum=100,
        target="jump_threshold"),
    Key("run", "edition", "choice", "редакция отчёта: ministry — для министерства; internal "
        "— с приложением «организации, которым стоит позвонить»",
        choices=EDITIONS, target="edition"),
    Key("run", "workers", "int", "процессов для чтения файлов; 0 — по числу ядер; 1 — и "
        "диаграммы отчёта без второго процесса",
        minimum=0, target="workers"),
    Key("run", "quiet_minutes", "int", "тихий период, минут: sferum run --pending не "
        "обрабатывает неделю, пока её папка или файлы менялись меньше стольких минут назад "
        "(копирование ещё идёт); 0 — не ждать", minimum=0, target="quiet_minutes"),
    *(Key("export", name, "headers", f"дополнительные написания заголовка колонки «{name}» "
          "выгрузки (список строк; сравниваются по началу, без учёта регистра, ё и пробелов)",
          target="export_headers") for name in EXPORT_FIELDS),
)
_BY_SECTION: dict[str, dict[str, Key]] = {}
for _key in KEYS:
    _BY_SECTION.setdefault(_key.section, {})[_key.name] = _key


def _number_text(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def check_value(key: Key, value: object, where: str) -> object:
    """``value`` of ``key`` converted and checked; :class:`ConfigError` naming ``where``."""
    if key.kind == "headers":
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in value):
            raise ConfigError(f"{where}: нужен список непустых строк, например "
                              f'["Дата", "Day"], получено {_number_text(value)}')
        return tuple(v.strip() for v in value)
    if key.kind in ("str", "choice"):
        if not isinstance(value, str):
            raise ConfigError(f"{where}: нужна строка, получено {_number_text(value)}")
        if key.kind == "choice" and value not in key.choices:
            raise ConfigError(f"{where}: допустимо {' или '.join(key.choices)}, получено "
                              f"{value!r}")
        if key.kind == "str" and not value.strip():
            raise ConfigError(f"{where}: значение не должно быть пустым")
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, int | float) or (
            key.kind == "int" and not isinstance(value, int)):
        what = "целое число" if key.kind == "int" else "число"
        raise ConfigError(f"{where}: нужно {what}, получено {_number_text(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where}: нужно конечное число, получено {value}")
    if key.minimum is not None and value < key.minimum or (
            key.maximum is not None and value > key.maximum):
        bounds = (f"от {key.minimum:g} до {key.maximum:g}" if key.maximum is not None
                  else f"не меньше {key.minimum:g}")
        raise ConfigError(f"{where}: значение должно быть {bounds}, получено {value:g}")
    return int(value) if key.kind == "int" else float(value)


@dataclass(frozen=True)
class RunConfig:
    """Every setting of one run. Frozen: derive a changed copy with :meth:`override`."""

    region: str = DEFAULT_REGION
    rule: ActiveRule = field(default_factory=ActiveRule)
    jump_threshold: float = SHARP_CHANGE_PP
    #: target % active; None — no target
    target_pct: float | None = None
    edition: str = "ministry"
    #: reader processes; 0 — one per core
    workers: int = 0
    #: ``--pending`` leaves a week whose folder changed less than this many minutes ago
    quiet_minutes: int = QUIET_MINUTES
    #: extra header spellings per export field: ``(("date", ("День",)), ...)``
    export_headers: tuple[tuple[str, tuple[str, ...]], ...] = ()

    # ------------------------------------------------------------------ building
    @classmethod
    def from_settings(cls, settings: Mapping[str, Mapping[str, object]],
                      source: str = "sferum.toml") -> RunConfig:
        """The configuration a workspace's ``sferum.toml`` describes (missing keys:
        defaults). An unknown section or key, or a wrong type, is a :class:`ConfigError`."""
        values: dict[str, object] = {}
        headers: dict[str, tuple[str, ...]] = {}
        for section, keys in settings.items():
            known = _BY_SECTION.get(section)
            if known is None:
                raise ConfigError(f"{source}: неизвестный раздел [{section}] (допустимы: "
                                  f"{', '.join(f'[{s}]' for s in _BY_SECTION)})")
            for name, value in keys.items():
                key = known.get(name)
                if key is None:
                    raise ConfigError(f"{source}: неизвестный ключ «{name}» в разделе "
                                      f"[{section}] (допустимы: {', '.join(known)})")
                checked = check_value(key, value, f"{source}: [{section}] {name}")
                if key.kind == "headers":
                    headers[name] = checked  # type: ignore[assignment]
                else:
                    values[key.target] = checked
        if values.get("target_pct") == 0.0:
            values["target_pct"] = None
        if headers:
            values["export_headers"] = tuple(sorted(headers.items()))
        return cls().override(**{k.replace("rule.", "rule_"): v for k, v in values.items()})

    def override(self, **changes: object) -> RunConfig:
        """A copy with ``changes`` applied; ``None`` means "keep". Rule parts are given as
        ``rule_kind``, ``rule_min_messages``, ``rule_min_calls``."""
        rule_parts = {k[5:]: v for k, v in changes.items() if k.startswith("rule_")
                      and v is not None}
        plain = {k: v for k, v in changes.items() if not k.startswith("rule_")
                 and v is not None}
        unknown = set(plain) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise TypeError(f"unknown RunConfig fields: {sorted(unknown)}")
        rule = dataclasses.replace(self.rule, **rule_parts) if rule_parts else self.rule
        return dataclasses.replace(self, rule=rule, **plain)

    @classmethod
    def from_parameters(cls, base: RunConfig, *, label=lambda name: f"параметр {name}",
                        **params: object) -> RunConfig:
        """``base`` with a notebook's (or the CLI's) parameters applied, each checked.

        Names are the ``[run]`` keys of ``sferum.toml`` (``active_rule``, ``workers``,
        ``target`` or ``target_pct``, …); ``None`` keeps the value of ``base``. A bad value
        raises :class:`ConfigError`: «параметр workers: нужно целое число, получено 'abc'».
        """
        changes: dict[str, object] = {}
        clear_target = False
        for name, value in params.items():
            if value is None:
                continue
            key = _BY_SECTION["run"].get("target" if name == "target_pct" else name)
            if key is None:
                raise ConfigError(f"неизвестный параметр {name}")
            checked = check_value(key, value, label(name))
            if key.target == "target_pct" and checked == 0.0:
                clear_target = True
                continue
            changes[key.target.replace("rule.", "rule_")] = checked
        config = base.override(**changes)
        return dataclasses.replace(config, target_pct=None) if clear_target else config

    # ------------------------------------------------------------------ reading
    def headers_for(self, field_name: str) -> tuple[str, ...]:
        return dict(self.export_headers).get(field_name, ())

    # ------------------------------------------------------------------ storing
    def to_dict(self) -> dict[str, object]:
        """What is stored with the processed week (``run_config.json``)."""
        return {
            "region": self.region,
            "active_rule": self.rule.as_dict(),
            "jump_threshold": float(self.jump_threshold),
            "target_pct": self.target_pct,
            "edition": self.edition,
            "workers": self.workers,
            "quiet_minutes": self.quiet_minutes,
            "export_headers": {k: list(v) for k, v in self.export_headers},
        }

    def computed_with(self) -> dict[str, object]:
        """The settings a processed week's figures and report depend on (not the edition
        of one publication, nor the number of reader processes): when those of today's
        ``sferum.toml`` differ, ``sferum status`` says so."""
        data = self.to_dict()
        for key in ("edition", "workers", "quiet_minutes"):  # how a run goes, not its figures
            data.pop(key, None)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> RunConfig:
        """The configuration stored by :meth:`to_dict` (missing parts: defaults)."""
        base = cls()
        rule = ActiveRule.from_dict(data.get("active_rule")) or base.rule
        headers = data.get("export_headers") or {}
        target = data.get("target_pct")
        return cls(
            region=str(data.get("region") or base.region),
            rule=rule,
            jump_threshold=float(data.get("jump_threshold", base.jump_threshold)),  # type: ignore[arg-type]
            target_pct=None if target in (None, 0, 0.0) else float(target),  # type: ignore[arg-type]
            edition=str(data.get("edition") or base.edition),
            workers=int(data.get("workers") or 0),  # type: ignore[call-overload]
            quiet_minutes=int(data.get("quiet_minutes", base.quiet_minutes)),  # type: ignore[call-overload]
            export_headers=tuple(sorted((str(k), tuple(map(str, v)))
                                        for k, v in dict(headers).items())),  # type: ignore[call-overload]
        )


def settings_template(region: str = "") -> str:
    """The commented ``sferum.toml`` that ``sferum init`` writes: every key, its meaning
    and its default (from :data:`KEYS` and :class:`RunConfig`)."""
    defaults = RunConfig()
    default_values = {
        "name": region, "active_rule": defaults.rule.kind,
        "quota_messages": defaults.rule.min_messages, "quota_calls": defaults.rule.min_calls,
        "target": 0, "jump_threshold": defaults.jump_threshold, "edition": defaults.edition,
        "workers": defaults.workers, "quiet_minutes": defaults.quiet_minutes,
    }
    lines = [
        "# Настройки рабочей папки sferum-analysis (формат TOML).",
        "# Строка, начинающаяся с #, — комментарий. Ключ, которого нет в файле, берёт",
        "# значение по умолчанию; флаги команды sferum run важнее этих значений.",
        "",
    ]
    for section in _BY_SECTION:
        lines.append(f"[{section}]")
        if section == "export":
            lines += ["# Если платформа изменит заголовки выгрузки «По учителям», добавьте",
                      "# их написания сюда, не дожидаясь новой версии программы. Пример:",
                      '# messages_7d = ["Сообщений за неделю"]']
        for key in _BY_SECTION[section].values():
            lines.append(f"# {key.help}")
            if key.kind == "headers":
                lines.append(f"# {key.name} = []")
                continue
            value = default_values[key.name]
            text = f'"{value}"' if isinstance(value, str) else (
                f"{value:.1f}" if isinstance(value, float) else str(value))
            if key.name == "name":
                lines.append(f"{key.name} = {text}")
            else:
                lines.append(f"# по умолчанию: {key.name} = {text}")
                lines.append(f"# {key.name} = {text}")
        lines.append("")
    return "\n".join(lines)


def workspace_config(workspace: Workspace) -> RunConfig:
    """The configuration a workspace's ``sferum.toml`` describes (defaults without one)."""
    from .workspace import read_settings

    return RunConfig.from_settings(read_settings(workspace.settings_file),
                                   source=str(workspace.settings_file or "sferum.toml"))
