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
from pathlib import Path

from . import __version__
from .config import SAMPLE_WEEK, WeekError

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
        super().add_usage(usage, actions, groups,
                          prefix="Использование: " if prefix is None else prefix)

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default is False and action.option_strings:  # a flag: off unless given
            return text + " (по умолчанию: выключено)"
        if "%(default)" in text or "по умолчанию" in text or action.default == "" or any(
                action.default is v for v in (None, False, argparse.SUPPRESS)):
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
    parser.add_argument("--data-dir", default=None, metavar="ПАПКА",
                        help="папка данных с raw/ (выгрузки, реестр) и processed/ (по "
                             "умолчанию: $SFERUM_DATA_DIR или data/ рабочей папки — ближайшей "
                             "папки с sferum.toml от текущей вверх)")
    parser.add_argument("--reports-dir", default=None, metavar="ПАПКА",
                        help="папка отчётов (по умолчанию: $SFERUM_REPORTS_DIR или reports/ "
                             "рабочей папки)")


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
    run.add_argument("--pending", action="store_true",
                     help="обработать все недели без актуального отчёта (новые, с изменёнными "
                          "файлами, с ошибкой), от старых к новым")
    _add_dirs(run)
    run.add_argument("--strict", action="store_true",
                     help="код выхода 2, если есть замечания уровня error")
    # Run options: no defaults here. Unset flags take the workspace's sferum.toml, then
    # the defaults of RunConfig (one place: sferum_analysis/run_config.py).
    settings = " (по умолчанию — из sferum.toml, иначе %s)"
    run.add_argument("--active-rule", choices=["any", "quota"], default=None,
                     help="правило активности: any — сообщения + звонки ≥ 1; "
                          "quota — сообщения ≥ M и звонки ≥ C" + settings % "any")
    run.add_argument("--quota-messages", type=int, default=None, metavar="M",
                     help="порог сообщений за 7 дней для правила quota и проверки "
                          "quota_jump (скачок «от нуля ровно до порога»)" + settings % "10")
    run.add_argument("--quota-calls", type=int, default=None, metavar="C",
                     help="порог звонков за 7 дней для правила quota и проверки quota_jump"
                          + settings % "1")
    run.add_argument("--workers", type=int, default=None, metavar="N",
                     help="процессов для чтения файлов, 0 — по числу ядер" + settings % "0")
    run.add_argument("--edition", choices=["ministry", "internal"], default=None,
                     help="редакция отчёта: ministry — для министерства, без приложения; "
                          "internal — с приложением «организации, которым стоит позвонить» "
                          "(по МО: самый низкий %% активности, нет выгрузки или она устарела)"
                          + settings % "ministry")
    run.add_argument("--target", type=float, default=None, metavar="ПРОЦЕНТ",
                     help="целевой %% активности (например 75): линия на диаграммах, МО ниже "
                          "цели отмечены в таблице активности; 0 — без цели"
                          + settings % "без цели")
    run.add_argument("--jump-threshold", type=float, default=None, metavar="П.П.",
                     help="порог замечания sharp_change: изменение %% зарегистрированных или "
                          "%% активности МО за неделю больше стольких процентных пунктов"
                          + settings % "15")
    status = sub.add_parser(
        "status", help="показать недели, их состояние и число замечаний",
        description="Список недель из data/raw: опубликована ли неделя, изменились ли входные "
                    "файлы после публикации, сколько замечаний в отчёте.",
    )
    _add_dirs(status)
    init = sub.add_parser(
        "init", help="создать рабочую папку для своего региона",
        description="Создаёт рабочую папку: sferum.toml с пояснениями, data/raw/registry/ "
                    "с шаблонами реестра организаций и списка МО, reports/ и README.md. "
                    "Существующую рабочую папку не перезаписывает.",
        epilog="Пример: sferum init ~/sferum-tula --region \"Тульская область\"")
    init.add_argument("dir", metavar="ПАПКА", help="папка новой рабочей папки (пустая или новая)")
    init.add_argument("--region", default="", metavar="НАЗВАНИЕ",
                      help="официальное название региона, например «Тульская область» "
                           "(можно вписать позже в sferum.toml)")
    init.add_argument("--registry", choices=["xlsx", "csv"], default="xlsx",
                      help="формат шаблона реестра организаций")
    lab = sub.add_parser(
        "lab", help="запустить JupyterLab с ноутбуками проекта",
        description="Запускает JupyterLab из окружения проекта (.venv) в корне проекта, "
                    "с русским интерфейсом и без новостей Jupyter. Остальные параметры "
                    "передаются JupyterLab как есть, например --ip 0.0.0.0 или "
                    "--ServerApp.token=…",
        epilog="Пример: sferum lab --no-browser --ip 0.0.0.0 --port 8890",
        allow_abbrev=False,
    )
    lab.__class__ = _LabParser  # options it does not know go to JupyterLab
    lab.add_argument("--port", type=int, default=8888, help="порт JupyterLab")
    lab.add_argument("--no-browser", action="store_true", help="не открывать браузер")
    lab.set_defaults(jupyter_args=[])
    return parser


def _write(stream, text: str) -> bool:
    """Write ``text`` to ``stream``; False if its reader has gone (``sferum run … | head``):
    the stream is then pointed at the null device, so that nothing written to it later
    (nor Python's flush at exit) fails. A run goes on without its console — run.log has
    every line — and publishes its week."""
    try:
        stream.write(text)
        stream.flush()
        return True
    except BrokenPipeError:
        import os

        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
        except (OSError, ValueError, AttributeError):  # no file descriptor behind it
            pass
        return False


class Console:
    """Step lines always; progress in place on a terminal, only its last line elsewhere.
    Nothing more is written once the reader of the stream has gone (:func:`_write`)."""

    _PROGRESS = re.compile(r"(\d+) из (\d+)")

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._open = False
        self.closed = False

    def _emit(self, text: str) -> None:
        if not self.closed and not _write(self.stream, text):
            self.closed = True

    def line(self, message: str) -> None:
        if self._open:
            self._emit("\n")
            self._open = False
        self._emit(message + "\n")

    def progress(self, message: str) -> None:
        if self.tty:
            self._emit("\r" + message + "\x1b[K")
            self._open = True
            return
        match = self._PROGRESS.search(message)
        if match is None or match.group(1) == match.group(2):
            self.line(message)


def _say(message: str) -> None:
    _write(sys.stderr, message + "\n")


def _print(message: str) -> None:
    """A line of the command's result on stdout (nothing if its reader has gone)."""
    _write(sys.stdout, message + "\n")


def _fail(message: str) -> int:
    _say(f"sferum: ошибка: {message}")
    return EXIT_FAILED


def _os_error_text(exc: OSError) -> str:
    """One Russian line for a file-system error (no traceback for a wrong path)."""
    import errno

    from .formatting import ERRNO_RU

    reason = ERRNO_RU.get(errno.errorcode.get(exc.errno or 0, ""), exc.strerror or str(exc))
    where = f": {exc.filename}" if exc.filename else ""
    return f"ошибка файловой системы{where} — {reason}"


def _counts_text(counts: dict[str, int]) -> str:
    return (f"ошибок: {counts.get('error', 0)}, предупреждений: {counts.get('warning', 0)}, "
            f"сведений: {counts.get('info', 0)}")


def _locate(args: argparse.Namespace):
    """The workspace and folders of a command (:class:`workspace.Workspace`)."""
    from .workspace import Workspace

    return Workspace.locate(args.data_dir, args.reports_dir)


def run_config(workspace, args: argparse.Namespace):
    """The run's one configuration: ``sferum.toml``, then the flags given."""
    from .run_config import RunConfig, workspace_config

    return RunConfig.from_parameters(
        workspace_config(workspace), label=lambda name: "--" + name.replace("_", "-"),
        active_rule=args.active_rule, quota_messages=args.quota_messages,
        quota_calls=args.quota_calls, workers=args.workers, edition=args.edition,
        target=args.target, jump_threshold=args.jump_threshold)


def cmd_run(args: argparse.Namespace) -> int:
    from .errors import RegistryError
    from .pipeline import RunLock, StepFailed, UserError, pending_weeks, recover_all, run_week
    from .run_config import ConfigError
    from .status import settling_minutes
    from .workspace import WorkspaceError

    if bool(args.week) == bool(args.pending):
        return _fail("укажите неделю (ГГГГ-ММ-ДД) или --pending, но не то и другое вместе. "
                     "Справка: sferum run --help")
    console = Console()
    user_errors = (UserError, WeekError, RegistryError, StepFailed, ConfigError,
                   WorkspaceError, ValueError)
    try:
        workspace = _locate(args)
        paths = workspace.paths
        config = run_config(workspace, args)
        with RunLock(paths):
            recover_all(paths)  # staging folders of killed runs hold names of people
            results, failed, tried = [], [], set()
            attempted: set[str] = set()
            # an explicit run does not wait for the quiet period; it warns once it has run
            young = None if args.pending else settling_minutes(paths, args.week,
                                                                config.quiet_minutes)
            settling = "" if young is None else (
                f"внимание: файлы недели менялись {young:.0f} мин назад (тихий период — "
                f"{config.quiet_minutes} мин); если копирование ещё шло, отчёт неполный — "
                "перезапустите неделю")
            # --pending: the list is taken again after every week, oldest first, so that a
            # republished week's later weeks (their comparison now stale) follow it
            while True:
                if args.pending:
                    todo = [w for w in pending_weeks(paths) if w not in attempted]
                else:
                    todo = [args.week] if not attempted else []
                if not todo:
                    break
                week = todo[0]
                attempted.add(week)
                age = settling_minutes(paths, week, config.quiet_minutes) \
                    if args.pending else None
                if age is not None:
                    console.line(f"{week}: файлы недели ещё меняются (последнее изменение "
                                 f"{age:.0f} мин назад, тихий период — {config.quiet_minutes} "
                                 "мин): неделя будет обработана при следующем запуске")
                    tried.add(week)  # nor processed first as a later week's previous week
                    continue
                try:
                    result = run_week(week, paths, config, notify=console.line,
                                      progress=console.progress, failed=tried,
                                      keep_registry=args.pending,
                                      warning=settling if week == args.week else "")
                except user_errors as exc:
                    if not args.pending:
                        raise
                    console.line(f"sferum: ошибка: {week}: {exc}")
                    failed.append(week)
                    continue
                for done in [*result.previous, result]:
                    attempted.add(done.week)
                    results.append(done)
                    _print(f"Неделя {done.week} опубликована: {done.report_dir} "
                           f"({_counts_text(done.counts)})")
            if settling and results:  # also the first line of the week's run.log
                console.line(f"{args.week}: {settling}")
            if args.pending and not results and not failed and not attempted:
                _print("Все недели уже опубликованы, обрабатывать нечего.")
                return EXIT_OK
    except user_errors as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(_os_error_text(exc))
    if failed:
        return _fail(f"не удалось обработать недель: {len(failed)} ({', '.join(failed)}); "
                     "причины — в строках выше, журналы начатых запусков — в "
                     "reports/failed/<неделя>/run.log")
    errors = sum(r.errors for r in results)
    if args.strict and errors:
        _say(f"sferum: --strict: есть замечания уровня error ({errors}), "
             f"см. quality.csv в папке отчёта")
        return EXIT_STRICT
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from .errors import UserError
    from .run_config import ConfigError, workspace_config
    from .status import STATE_TITLES, all_status, current_run, leftovers
    from .workspace import WorkspaceError, check_not_files

    try:
        workspace = _locate(args)
        paths = workspace.paths
        config = workspace_config(workspace)  # a bad sferum.toml is said here too
        check_not_files(paths)
    except (UserError, WorkspaceError, ConfigError) as exc:
        return _fail(str(exc))
    run = current_run(paths)
    if run:
        print(f"Сейчас идёт запуск (процесс {run['pid']}, с {run.get('started', '?')} UTC"
              + (f", неделя {run['week']}" if run.get("week") else "") + ").")
    statuses = all_status(paths, config)
    if not statuses:
        print(f"В {paths.raw_dir} нет папок недель (ГГГГ-ММ-ДД).")
        return EXIT_OK
    from .status import editions_text
    from .store import WeekStore

    weeks = WeekStore(paths)
    print(f"{'Неделя':<12}{'Состояние':<34}{'Ошибок':>8}{'Предупр.':>10}{'Сведений':>10}  "
          f"{'Опубликована (UTC)':<27}Редакции")
    for s in statuses:
        c = s.counts
        editions = editions_text(weeks.read_manifest(s.week)) if s.published_at else ""
        print(f"{s.week:<12}{STATE_TITLES[s.state]:<34}{c.get('error', 0):>8}"
              f"{c.get('warning', 0):>10}{c.get('info', 0):>10}  {s.published_at:<27}"
              f"{editions}".rstrip())
    pending = sum(s.pending for s in statuses)
    print(f"Недель: {len(statuses)}, требуют обработки: {pending}"
          + (" (sferum run --pending)" if pending else ""))
    notes = {
        "registry_changed": "реестр организаций или список МО изменился после расчёта недель "
                            "{weeks}; sferum run --pending их не пересчитывает (история не "
                            "меняется сама), пересчитать с текущим реестром: sferum run НЕДЕЛЯ",
        "settings_changed": "недели {weeks} посчитаны с другими настройками sferum.toml "
                            "(правило активности, пороги, цель, регион, заголовки [export]); "
                            "sferum run --pending их не пересчитывает, применить нынешние "
                            "настройки: sferum run НЕДЕЛЯ",
        "stale": "недели {weeks} сравнивались с предыдущей неделей, которая с тех пор "
                 "пересчитана: sferum run --pending пересоберёт их",
        "empty": "в неделях {weeks} нет пригодных выгрузок: не опубликованы и не служат "
                 "предыдущей неделей; причины — в reports/failed/<неделя>/run.log",
    }
    for state, text in notes.items():
        weeks = [s.week for s in statuses if s.state == state]
        if weeks:
            print("Примечание: " + text.format(weeks=", ".join(weeks)))
    for path, own in leftovers(paths):
        print(f"Временная папка {'текущего' if own else 'прерванного'} запуска: {path}"
              + ("" if own else " (содержит ФИО; удаляется следующим sferum run)"))
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from .init import init_workspace
    from .workspace import WorkspaceError

    try:
        root = init_workspace(args.dir, region=args.region, registry_format=args.registry)
    except WorkspaceError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(_os_error_text(exc))
    if not args.region.strip():
        print(f"Впишите официальное название региона в [region] name файла "
              f"{root / 'sferum.toml'}: без него команды в этой папке не работают.")
    print(f"Рабочая папка создана: {root}\n"
          f"Дальше: заполните {root / 'data/raw/registry'} (реестр организаций и, для своего "
          f"региона, municipalities.csv), проверьте [region] name в {root / 'sferum.toml'}, "
          "положите выгрузки недели в data/raw/ГГГГ-ММ-ДД/ и выполните в этой папке: "
          "sferum run ГГГГ-ММ-ДД. Подробнее — в README.md рабочей папки.")
    return EXIT_OK


class _LabParser(Parser):
    """`sferum lab`: options it does not know are JupyterLab's and end up in jupyter_args."""

    def parse_known_args(self, args=None, namespace=None):
        namespace, unknown = super().parse_known_args(args, namespace)
        namespace.jupyter_args = [*namespace.jupyter_args, *unknown]
        return namespace, []


def _lab_root():
    """The folder JupyterLab opens at (a Path): the workspace root, so that data/,
    reports/ and notebooks/ are all at hand; outside a workspace, the current folder."""
    from .workspace import find_workspace

    return find_workspace() or Path.cwd()


def cmd_lab(args: argparse.Namespace) -> int:
    import os

    from .config import PACKAGE_DIR

    # Shipped in the package, put in front of JUPYTER_CONFIG_PATH for this server only:
    # labconfig/default_setting_overrides.json — Russian locale, no news, no update check.
    lab_config_dir = PACKAGE_DIR / "jupyter"
    root = _lab_root()
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}",
            f"--port={args.port}"]
    if args.no_browser:
        argv.append("--no-browser")
    _say(f"sferum: запуск JupyterLab в {root} (ядро Python 3 из {sys.prefix})")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # JupyterLab refuses root without it
        argv.append("--allow-root")
        _say("sferum: внимание: JupyterLab запущен от root; лучше работать под обычным "
             "пользователем")
    argv += args.jupyter_args  # last, so that the user's options win
    # Defaults for this server only: the user's own settings in ~/.jupyter are not touched
    # and still take precedence over these.
    env = dict(os.environ)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        p for p in (str(lab_config_dir), env.get("JUPYTER_CONFIG_PATH")) if p)
    os.execve(sys.executable, argv, env)
    return EXIT_OK  # pragma: no cover


def _install_signal_handlers() -> dict:
    from .signals import install

    return install()


def _interrupted(exc: KeyboardInterrupt) -> int:
    """One Russian line; the event loop's leftovers (tasks of the stopped notebook) are
    not printed after it."""
    import logging
    import signal

    logging.getLogger("asyncio").disabled = True  # "Task exception was never retrieved"
    sys.unraisablehook = lambda unraisable: None  # "Exception ignored in …" at exit
    if getattr(exc, "signum", signal.SIGINT) == signal.SIGTERM:
        what, code = "прервано сигналом завершения (SIGTERM)", 143
    else:
        what, code = "прервано пользователем (Ctrl-C)", 130
    published = getattr(exc, "published", None)
    if published:
        _say(f"sferum: {what}: неделя {published} успела опубликоваться, дальше запуск "
             "остановлен")
    else:
        _say(f"sferum: {what}: незавершённая неделя не опубликована, её временные папки "
             "удалены, последний опубликованный отчёт не изменён")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    import signal

    saved = _install_signal_handlers()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_FAILED
        handlers = {"run": cmd_run, "status": cmd_status, "init": cmd_init, "lab": cmd_lab}
        return handlers[args.command](args)
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def entry() -> int:
    """The ``sferum`` command: :func:`main`, then the objects it leaves are frozen
    (:func:`gc.freeze`) so that the interpreter's exit skips its final garbage
    collections over them (a quarter of a second after a run; atexit handlers, buffers
    and finalizers run as usual). Tests call :func:`main`, which does not freeze."""
    import gc

    code = main()
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(entry())
