"""Command line: ``sferum run WEEK``; every message for the user is in Russian.

Exit status: 0 — the week was processed (findings allowed); 2 — with ``--strict`` when an
error-level finding exists; 1 — nothing could be produced (bad arguments, no registry, no
such week folder, a failed notebook). A user error never prints a Python traceback.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

from . import __version__
from .config import DEFAULT_DATA_DIR, DEFAULT_REPORTS_DIR, SAMPLE_WEEK, Paths, WeekError
from .metrics import ActiveRule
from .registry import RegistryError

EXIT_OK, EXIT_FAILED, EXIT_STRICT = 0, 1, 2

_ARGPARSE_RU = [
    (r"the following arguments are required: (.*)", r"не указаны обязательные аргументы: \1"),
    (r"unrecognized arguments: (.*)", r"неизвестные аргументы: \1"),
    (r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)",
     r"аргумент \1: недопустимое значение \2 (допустимо: \3)"),
    (r"argument (\S+): invalid (\w+) value: (.*)", r"аргумент \1: недопустимое значение \3"),
    (r"argument (\S+): expected one argument", r"аргументу \1 нужно значение"),
    (r"argument (\S+): not allowed with argument (\S+)",
     r"аргумент \1 нельзя указывать вместе с \2"),
]


class RussianFormatter(argparse.ArgumentDefaultsHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, prefix="Использование: ")

    def _get_help_string(self, action):
        text = action.help or ""
        if "%(default)" in text or action.default in (None, False, argparse.SUPPRESS):
            return text
        if action.option_strings or action.nargs in ("?", "*"):
            return text + " (по умолчанию: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", RussianFormatter)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "аргументы"
        self._optionals.title = "параметры"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help="показать эту справку и выйти")

    def error(self, message: str):
        for pattern, repl in _ARGPARSE_RU:
            message = re.sub(pattern, repl, message)
        self.exit(EXIT_FAILED, f"{self.prog}: ошибка: {message}. Справка: {self.prog} --help\n")


def _add_dirs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), metavar="ПАПКА",
                        help="папка данных с raw/ (выгрузки, реестр) и processed/")
    parser.add_argument("--reports-dir", default=str(DEFAULT_REPORTS_DIR), metavar="ПАПКА",
                        help="папка отчётов")


def build_parser() -> Parser:
    parser = Parser(
        prog="sferum",
        description="Еженедельные отчёты об использовании ИКОП «Сферум» по муниципальным "
                    "образованиям: очистка выгрузок, показатели, публикация HTML/PDF/XLSX.",
        epilog="Пример: sferum run 2024-01-29",
    )
    parser.add_argument("--version", action="version", version=f"sferum-analysis {__version__}",
                        help="показать версию и выйти")
    sub = parser.add_subparsers(dest="command", title="команды", metavar="КОМАНДА",
                                parser_class=Parser)
    run = sub.add_parser(
        "run", help="обработать и опубликовать отчётную неделю",
        description="Очищает выгрузки недели, считает показатели по МО и публикует отчёт "
                    "в reports/<неделя>/. Ноутбуки выполняются через Papermill.",
    )
    run.add_argument("week", metavar="НЕДЕЛЯ", nargs="?",
                     help=f"отчётная дата ГГГГ-ММ-ДД, имя папки в data/raw (пример: {SAMPLE_WEEK})")
    _add_dirs(run)
    run.add_argument("--strict", action="store_true",
                     help="код выхода 2, если есть замечания уровня error")
    run.add_argument("--active-rule", choices=["any", "quota"], default="any",
                     help="правило активности: any — сообщения + звонки ≥ 1; "
                          "quota — сообщения ≥ M и звонки ≥ C")
    run.add_argument("--quota-messages", type=int, default=10, metavar="M",
                     help="порог сообщений за 7 дней для правила quota")
    run.add_argument("--quota-calls", type=int, default=1, metavar="C",
                     help="порог звонков за 7 дней для правила quota")
    run.add_argument("--workers", type=int, default=0, metavar="N",
                     help="процессов для чтения файлов (0 — по числу ядер)")
    return parser


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _fail(message: str) -> int:
    _say(f"sferum: ошибка: {message}")
    return EXIT_FAILED


def cmd_run(args: argparse.Namespace) -> int:
    from .pipeline import RunOptions, StepFailed, UserError, run_week

    if not args.week:
        return _fail("укажите неделю (ГГГГ-ММ-ДД). Справка: sferum run --help")
    paths = Paths.from_dirs(args.data_dir, args.reports_dir)
    try:
        rule = ActiveRule(args.active_rule, args.quota_messages, args.quota_calls)
        options = RunOptions(rule=rule, workers=args.workers)
        result = run_week(args.week, paths, options, notify=_say)
    except (UserError, WeekError, RegistryError, StepFailed, ValueError) as exc:
        return _fail(str(exc))
    counts = result.counts
    print(f"Неделя {result.week} опубликована: {result.report_dir} "
          f"(ошибок: {counts.get('error', 0)}, предупреждений: {counts.get('warning', 0)}, "
          f"сведений: {counts.get('info', 0)})")
    if args.strict and result.errors:
        _say(f"sferum: --strict: есть замечания уровня error ({result.errors}), "
             f"см. {result.report_dir / 'quality.csv'}")
        return EXIT_STRICT
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_FAILED
    handlers = {"run": cmd_run}
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        _say("sferum: прервано пользователем")
        return 130


if __name__ == "__main__":
    sys.exit(main())
