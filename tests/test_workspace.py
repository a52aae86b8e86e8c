"""Workspaces (contract, section 5): discovery, folder overrides, sferum.toml, sferum init,
and the run configuration built once from them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sferum_analysis.config import Paths
from sferum_analysis.init import init_workspace
from sferum_analysis.metrics import ActiveRule
from sferum_analysis.run_config import ConfigError, RunConfig, settings_template
from sferum_analysis.workspace import Workspace, WorkspaceError, find_workspace, read_settings

REPO = Path(__file__).resolve().parents[1]


def cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("SFERUM_DATA_DIR", "SFERUM_REPORTS_DIR")}
    return subprocess.run([sys.executable, "-m", "sferum_analysis.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={**clean, **(env or {})})


# --------------------------------------------------------------------------- discovery
def test_workspace_is_found_from_the_current_folder_upwards(tmp_path):
    (tmp_path / "ws" / "data" / "raw" / "2024-01-29").mkdir(parents=True)
    (tmp_path / "ws" / "sferum.toml").write_text('[region]\nname = "Тульская область"\n')
    deep = tmp_path / "ws" / "data" / "raw" / "2024-01-29"
    assert find_workspace(deep) == (tmp_path / "ws").resolve()
    ws = Workspace.locate(cwd=deep, environ={})
    assert ws.root == (tmp_path / "ws").resolve()
    assert ws.paths == Paths(tmp_path.resolve() / "ws" / "data",
                             tmp_path.resolve() / "ws" / "reports")


def test_flags_override_environment_override_workspace(tmp_path):
    (tmp_path / "sferum.toml").write_text("")
    env = {"SFERUM_DATA_DIR": str(tmp_path / "envdata"),
           "SFERUM_REPORTS_DIR": str(tmp_path / "envrep")}
    ws = Workspace.locate(cwd=tmp_path, environ=env)
    assert ws.paths == Paths((tmp_path / "envdata").resolve(), (tmp_path / "envrep").resolve())
    ws = Workspace.locate(str(tmp_path / "d"), str(tmp_path / "r"), cwd=tmp_path, environ=env)
    assert ws.paths == Paths((tmp_path / "d").resolve(), (tmp_path / "r").resolve())


@pytest.mark.parametrize("where", ["flag-data", "flag-reports", "env-data", "env-reports"])
def test_an_empty_folder_value_is_an_error_not_the_default(tmp_path, where):
    (tmp_path / "sferum.toml").write_text("")
    kind, which = where.split("-")
    kwargs = {"data_dir": "", "reports_dir": None} if which == "data" else \
        {"data_dir": None, "reports_dir": " "}
    env = {}
    if kind == "env":
        env = {f"SFERUM_{which.upper()}_DIR": ""}
        kwargs = {}
    with pytest.raises(WorkspaceError, match="пустое значение"):
        Workspace.locate(**kwargs, cwd=tmp_path, environ=env)


def test_outside_a_workspace_one_russian_line_says_how_to_make_one(tmp_path):
    result = cli("status", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "sferum.toml" in lines[0] and "sferum init" in lines[0]


def test_cli_empty_data_dir_is_refused(tmp_path):
    result = cli("status", "--data-dir", "", cwd=REPO)
    assert result.returncode == 1
    assert "пустое значение --data-dir" in result.stderr


def test_the_repository_is_the_oryol_sample_workspace():
    assert find_workspace(REPO / "notebooks") == REPO
    settings = read_settings(REPO / "sferum.toml")
    assert RunConfig.from_settings(settings).region == "Орловская область"
    for folder in ("notebooks", "sferum_analysis", "data/raw", "data/processed", "reports",
                   "tests"):
        assert (REPO / folder).is_dir(), folder


# --------------------------------------------------------------------------- sferum.toml
def test_settings_give_the_run_configuration():
    config = RunConfig.from_settings({
        "region": {"name": "Тульская область"},
        "run": {"active_rule": "quota", "quota_messages": 5, "quota_calls": 2, "target": 75,
                "jump_threshold": 10.5, "edition": "internal", "workers": 3},
        "export": {"messages_7d": ["Сообщений за неделю"], "date": ["День"]},
    })
    assert config == RunConfig(
        region="Тульская область", rule=ActiveRule("quota", 5, 2), jump_threshold=10.5,
        target_pct=75.0, edition="internal", workers=3,
        export_headers=(("date", ("День",)), ("messages_7d", ("Сообщений за неделю",))))
    assert RunConfig.from_dict(config.to_dict()) == config
    assert RunConfig.from_settings({"run": {"target": 0}}).target_pct is None


@pytest.mark.parametrize(("settings", "message"), [
    ({"run": {"activ_rule": "any"}}, "неизвестный ключ «activ_rule» в разделе [run]"),
    ({"regoin": {"name": "x"}}, "неизвестный раздел [regoin]"),
    ({"run": {"workers": "4"}}, "[run] workers: нужно целое число, получено '4'"),
    ({"run": {"workers": True}}, "[run] workers: нужно целое число"),
    ({"run": {"quota_messages": -1}}, "[run] quota_messages: значение должно быть не меньше 0"),
    ({"run": {"target": 120}}, "[run] target: значение должно быть от 0 до 100"),
    ({"run": {"active_rule": "all"}}, "[run] active_rule: допустимо any или quota"),
    ({"region": {"name": ""}}, "[region] name: значение не должно быть пустым"),
    ({"export": {"date": "Дата"}}, "[export] date: нужен список непустых строк"),
    ({"export": {"phone": ["Тел"]}}, "неизвестный ключ «phone» в разделе [export]"),
])
def test_bad_settings_are_russian_errors_naming_the_key(settings, message):
    with pytest.raises(ConfigError) as info:
        RunConfig.from_settings(settings)
    assert message in str(info.value)


def test_flags_override_settings_and_are_checked():
    base = RunConfig.from_settings({"run": {"active_rule": "quota", "target": 60}})
    config = RunConfig.from_parameters(base, quota_messages=3, target=None, workers=None)
    assert config.rule == ActiveRule("quota", 3, 1) and config.target_pct == 60.0
    assert RunConfig.from_parameters(base, target=0).target_pct is None
    with pytest.raises(ConfigError, match="--workers: нужно целое число, получено 'abc'"):
        RunConfig.from_parameters(base, label=lambda n: "--" + n, workers="abc")


def test_a_broken_toml_is_one_russian_line(tmp_path):
    (tmp_path / "sferum.toml").write_text("[region\nname = 1\n", encoding="utf-8")
    (tmp_path / "data").mkdir()
    result = cli("run", "2024-01-29", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "ошибка в записи TOML" in result.stderr


def test_the_template_documents_every_key_with_its_default_and_parses():
    import tomllib

    text = settings_template("Тульская область")
    parsed = tomllib.loads(text)
    assert RunConfig.from_settings(parsed) == RunConfig(region="Тульская область")
    for key in ("active_rule", "quota_messages", "quota_calls", "target", "jump_threshold",
                "edition", "workers", "messages_7d", "calls_7d", "full_name", "date"):
        assert f"# {key} = " in text or f"{key} =" in text, key
    assert "# по умолчанию: quota_messages = 10" in text


# --------------------------------------------------------------------------- sferum init
def test_init_creates_a_workspace_and_refuses_to_overwrite(tmp_path):
    root = init_workspace(tmp_path / "tula", region="Тульская область")
    for path in ("sferum.toml", "README.md", "data/raw/registry/organizations.xlsx",
                 "data/raw/registry/municipalities.csv", "data/processed", "reports",
                 "notebooks/10_explore.ipynb"):
        assert (root / path).exists(), path
    assert "рабочая папка" in (root / "README.md").read_text("utf-8").lower()
    config = RunConfig.from_settings(read_settings(root / "sferum.toml"))
    assert config.region == "Тульская область"
    import openpyxl

    header = [c.value for c in openpyxl.load_workbook(
        root / "data/raw/registry/organizations.xlsx").active[1]]
    assert header == ["ID Сферум", "Наименование организации", "Муниципальное образование",
                      "Тип организации", "Численность педагогов"]
    before = (root / "sferum.toml").read_bytes()
    with pytest.raises(WorkspaceError, match="уже рабочая папка"):
        init_workspace(root, region="Другая область")
    assert (root / "sferum.toml").read_bytes() == before
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("x")
    with pytest.raises(WorkspaceError, match="не пуста"):
        init_workspace(tmp_path / "busy")


def test_init_from_the_cli_with_a_csv_registry(tmp_path):
    result = cli("init", str(tmp_path / "ws"), "--region", "Тульская область",
                 "--registry", "csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ws" / "data/raw/registry/organizations.csv").read_text(
        "utf-8").startswith("ID Сферум,")
    again = cli("init", str(tmp_path / "ws"), cwd=tmp_path)
    assert again.returncode == 1 and "уже рабочая папка" in again.stderr


def test_init_for_oryol_copies_the_built_in_municipalities(tmp_path):
    from sferum_analysis.municipalities import Municipalities

    root = init_workspace(tmp_path / "orel", region="Орловская область")
    own = Municipalities.from_csv(root / "data/raw/registry/municipalities.csv")
    assert own.canonical_names() == Municipalities.builtin().canonical_names()


def test_the_readme_documents_every_key():
    from sferum_analysis.run_config import KEYS

    readme = (REPO / "README.md").read_text("utf-8")
    for key in KEYS:
        if key.section == "export":
            assert f"`{key.name}`" in readme or f"`[export] {key.name}`" in readme, key.name
        else:
            assert f"`[{key.section}] {key.name}`" in readme, key.name


# --------------------------------------------------------------------------- [export]
def test_renamed_export_headers_need_a_setting_not_a_release(tmp_path):
    import datetime as dt

    import pandas as pd

    from sferum_analysis.cleaning import clean_week

    week = tmp_path / "2024-01-29"
    week.mkdir()
    (week / "7.csv").write_text(
        "День;Сотрудник;Роль;Связь с классом;Сообщений за неделю;Звонков за неделю\n"
        "29.01.2024;Иванова Анна;teacher;0;3;0\n29.01.2024;Петров Пётр;teacher;0;0;0\n",
        encoding="utf-8")
    registry = pd.DataFrame({
        "org_id": pd.Series(["7"], dtype="string"), "org_name": ["ДС 7"],
        "mo": ["г. Орёл"], "mo_order": [1], "org_type": ["ДОО"], "staff_total": [5]})
    day = dt.date(2024, 1, 29)
    plain = clean_week(week, registry, day)
    [finding] = plain.findings[plain.findings["code"] == "unreadable_file"]["message"]
    assert "найдены заголовки: «День», «Сотрудник», «Роль», «Связь с классом», " \
        "«Сообщений за неделю», «Звонков за неделю»" in finding
    assert "[export]" in finding
    config = RunConfig.from_settings({"export": {
        "date": ["День"], "full_name": ["Сотрудник"], "user_type": ["Роль"],
        "messages_7d": ["Сообщений за"], "calls_7d": ["Звонков за"]}})
    read = clean_week(week, registry, day, export_headers=dict(config.export_headers))
    assert read.files["status"].tolist() == ["used"]
    assert read.persons["messages_7d"].tolist() == [3, 0]


def test_status_checks_sferum_toml_and_names_weeks_computed_with_other_settings(tmp_path):
    """`sferum status` refuses a bad sferum.toml as `sferum run` does; after a setting the
    figures depend on changes, the published weeks are named (not pending: history changes
    only when asked)."""
    from tiny_region import write_region, write_week

    root = tmp_path / "ws"
    root.mkdir()
    (root / "sferum.toml").write_text('[region]\nname = "Орловская область"\n', "utf-8")
    write_region(root / "data")
    write_week(root / "data", "2024-01-29", active=1)
    assert cli("run", "2024-01-29", cwd=root).returncode == 0
    assert "опубликована" in cli("status", cwd=root).stdout
    (root / "sferum.toml").write_text('[region]\nname = "Орловская область"\n[run]\n'
                                      'active_rule = "quota"\n', "utf-8")
    status = cli("status", cwd=root)
    assert status.returncode == 0
    assert "настройки изменились после расчёта" in status.stdout
    assert "требуют обработки: 0" in status.stdout and "sferum run НЕДЕЛЯ" in status.stdout
    (root / "sferum.toml").write_text('[region]\nname = "Орловская область"\n[run]\n'
                                      'activ_rule = "quota"\n', "utf-8")
    bad = cli("status", cwd=root)
    assert bad.returncode == 1 and "неизвестный ключ «activ_rule»" in bad.stderr
