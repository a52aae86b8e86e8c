"""The report document (report/document.py): sections per edition, with and without the
previous week, the XLSX sheets, the notes that used to live in notebook 03, and the
notebook itself: thin, in the document's order, with the document's page breaks."""

from __future__ import annotations

import ast
import multiprocessing
import re
from pathlib import Path
from types import SimpleNamespace

import jupytext
import pandas as pd
import pytest

from sferum_analysis import municipalities
from sferum_analysis import report as rp
from sferum_analysis.findings import Finding, to_frame
from sferum_analysis.metrics import TOTAL, ActiveRule, mo_metrics, with_previous
from sferum_analysis.quality_checks import SHARP_CHANGE_PP
from sferum_analysis.report import chart_jobs, document, html, texts
from sferum_analysis.run_config import RunConfig

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "03_report.py"
WEEK, PREVIOUS, EARLIER = "2024-01-29", "2024-01-22", "2024-01-15"
NBSP = "\u00a0"


def _orgs() -> pd.DataFrame:
    rows = [
        ("11", "ДС №1", "г. Орёл", "ДОО", 10, 9, 3, "reported"),
        ("21", "ДС Ливны", "г. Ливны", "ДОО", 4, 5, 5, "reported"),
        ("31", "ДС Болхов", "Болховский район", "ДОО", 6, 6, 0, "reported"),
        ("32", "ДС Болхов-2", "Болховский район", "ДОО", 4, 0, 0, "missing_export"),
        ("41", "СОШ Мценск", "г. Мценск", "ОО", 3, 2, 1, "reported"),
    ]
    frame = pd.DataFrame(rows, columns=["org_id", "org_name", "mo", "org_type", "staff_total",
                                        "registered", "active", "status"])
    frame["mo_order"] = frame["mo"].map(municipalities.order_of())
    return frame


def _files() -> pd.DataFrame:
    return pd.DataFrame({"status": ["used"], "rows_read": [20], "rows_used": [20],
                         "rows_other_dates": [0], "rows_duplicate": [0], "rows_rejected": [0]})


def _trend(metrics: pd.DataFrame, weeks: list[str]) -> pd.DataFrame:
    keep = ["org_type", "mo", "staff_total", "registered", "active", "pct_registered",
            "pct_active", "orgs_expected", "orgs_reported"]
    out = pd.concat([metrics[keep].assign(week=w) for w in weeks], ignore_index=True)
    return out[["week", *keep]].astype({"week": "string", "org_type": "string", "mo": "string",
                                        "active": "Int64", "pct_registered": "Float64",
                                        "pct_active": "Float64"})


def _data(*, previous: bool, compare_active: bool = True,
          findings: pd.DataFrame | None = None, meta: dict | None = None) -> rp.ReportData:
    metrics = mo_metrics(_orgs())
    if previous:
        earlier = _orgs()
        earlier.loc[earlier["org_id"] == "11", ["registered", "active"]] = [8, 4]
        metrics = with_previous(metrics, mo_metrics(earlier), compare_active=compare_active)
    return rp.ReportData(
        week=WEEK, metrics=metrics, org_metrics=_orgs(),
        findings=findings if findings is not None else to_frame([]), files=_files(),
        meta={"previous_week": PREVIOUS if previous else None, "previous_processed": previous,
              "compare_active": compare_active, **(meta or {})})


def _doc(*, edition: str = "ministry", previous: bool = True, weeks: int = 3,
         target: float | None = None, **kwargs) -> rp.Document:
    data = _data(previous=previous, **kwargs)
    names = [EARLIER, PREVIOUS, WEEK][-weeks:]
    return rp.build_document(data, _trend(data.metrics, names),
                             RunConfig(edition=edition, target_pct=target),
                             out_dir=Path("/nonexistent"))


def _text(doc: rp.Document, key: str) -> str:
    return "".join(p.data() for p in doc.parts(key) if p.kind == "html")


# --------------------------------------------------------------------------- sections
@pytest.mark.parametrize("previous", [True, False])
def test_sections_per_edition(previous):
    everything = [k for k in rp.SECTION_KEYS if k != "map"]  # no tiles: no map (test_tilemap)
    ministry = _doc(edition="ministry", previous=previous)
    assert list(ministry.sections) == [k for k in everything if k != "annex"]
    internal = _doc(edition="internal", previous=previous)
    assert list(internal.sections) == everything
    assert rp.edition_sections("ministry") == tuple(k for k in rp.SECTION_KEYS if k != "annex")
    assert rp.edition_sections("internal") == tuple(rp.SECTION_KEYS)
    assert ministry.parts("annex") == ()  # the notebook's annex cell shows nothing
    assert texts.ANNEX_TITLE in _text(internal, "annex")


def test_every_edition_has_display_texts_in_one_place():
    assert set(texts.EDITIONS) == set(texts.EDITION_SHORT) == set(texts.EDITIONS_TEXT)
    assert rp.EDITIONS is texts.EDITIONS and set(rp.EDITIONS) == {"ministry", "internal"}
    assert texts.EDITION_SHORT == {"ministry": "для министерства", "internal": "внутренняя"}


def test_unknown_edition_is_refused_in_russian():
    with pytest.raises(ValueError, match="редакция должна быть одной из ministry, internal"):
        _doc(edition="press")
    with pytest.raises(ValueError, match="параметр edition: допустимо ministry или internal"):
        rp.build_report(week=WEEK, edition="press")


def test_section_parts_and_outputs():
    doc = _doc()
    kinds = {key: [p.kind for p in parts] for key, parts in doc.sections.items()}
    assert kinds["title"] == kinds["headline"] == kinds["quality"] == ["html"]
    assert kinds["chart_registered"] == kinds["chart_active"] == ["png"]
    assert kinds["trends"] == ["html", "html", "png"]
    assert kinds["heatmap"] == ["html", "png"]
    with pytest.raises(KeyError):
        doc.parts("nope")


def test_one_week_has_no_trend_charts_and_no_heatmap():
    doc = _doc(previous=False, weeks=1)
    assert "heatmap" not in doc.sections
    assert [p.kind for p in doc.parts("trends")] == ["html", "html"]
    assert "хотя бы две недели" in _text(doc, "trends")
    assert texts.SHEET_TREND_ACTIVE not in doc.sheets


def test_trends_note_names_the_weeks():
    text = _text(_doc(), "trends")
    assert f"<h2>{texts.TRENDS_TITLE}</h2>" in text
    assert "Обработанные недели с 15.01.2024 по 29.01.2024 (3)." in text
    heatmap = _text(_doc(), "heatmap")
    assert heatmap.startswith("<h3>ДОО по МО: тепловая карта</h3>")
    assert "Недели с 15.01.2024 по 29.01.2024" in heatmap


def test_charts_render_to_png_only_when_shown():
    [part] = _doc().parts("chart_active")
    assert isinstance(part.content, chart_jobs.ChartJob)
    assert part.data()[:8] == b"\x89PNG\r\n\x1a\n"


def _pngs(doc: rp.Document) -> list[bytes]:
    return [doc.png(part) for key in rp.SECTION_KEYS for part in doc.parts(key)
            if part.kind == "png"]


@pytest.mark.skipif(not chart_jobs.can_fork(), reason="drawing ahead needs fork (Linux)")
def test_charts_drawn_ahead_are_the_charts_drawn_when_shown():
    doc = _doc()
    assert len(doc.charts()) == 4  # ranked twice, trend, heat-map (in the shown order)
    assert [job.name for job in doc.charts()] == ["ranked_chart", "ranked_chart",
                                                  "trend_chart", "heatmap_chart"]
    doc.draw_ahead()
    assert doc._ahead is not None
    ahead = _pngs(doc)
    assert ahead == [job() for job in doc.charts()]  # byte for byte, drawn here
    assert _pngs(doc) == ahead  # shown again: the same


@pytest.mark.skipif(not chart_jobs.can_fork(), reason="drawing ahead needs fork (Linux)")
def test_a_dead_chart_worker_changes_nothing_but_the_time():
    doc = _doc()
    expected = [job() for job in doc.charts()]
    before = set(multiprocessing.active_children())
    doc.draw_ahead()
    workers = set(multiprocessing.active_children()) - before
    assert len(workers) == chart_jobs.CHART_WORKERS
    for process in workers:
        process.kill()  # killed before, or while, it draws
    assert _pngs(doc) == expected


@pytest.mark.skipif(not chart_jobs.can_fork(), reason="drawing ahead needs fork (Linux)")
def test_a_chart_that_cannot_be_drawn_fails_where_it_is_shown():
    jobs = [chart_jobs.ChartJob("ranked_chart", (pd.DataFrame(),), {"title": "t",
                                                                   "region_value": 1.0}),
            chart_jobs.ChartJob("no_such_chart")]
    ahead = chart_jobs.ChartsAhead()
    ahead.draw(jobs)
    with pytest.raises(AttributeError, match="no_such_chart"):
        ahead.png(jobs[1])
    with pytest.raises(StopIteration):  # the empty table has no value column
        ahead.png(jobs[0])


@pytest.mark.skipif(not chart_jobs.can_fork(), reason="drawing ahead needs fork (Linux)")
def test_build_report_draws_ahead_unless_one_worker(tmp_path, monkeypatch):
    calls, doc = [], _doc()
    monkeypatch.setattr(document.Document, "draw_ahead",
                        lambda self, ahead=None: calls.append(ahead))
    monkeypatch.setattr(document, "build_document", lambda *a, **k: doc)
    monkeypatch.setattr(document, "load_report_data", lambda *a: SimpleNamespace(metrics=None))
    monkeypatch.setattr(document, "trend_frame", lambda *a, **k: None)
    for workers, drawn in ((0, 1), (2, 2), (1, 2)):  # 0: by the cores (two here)
        monkeypatch.setattr("sferum_analysis.steps.week_config",
                            lambda *a, w=workers, **k: RunConfig(workers=w))
        monkeypatch.setattr("sferum_analysis.cleaning.default_workers", lambda: 2)
        rp.build_report(week=WEEK, data_dir=str(tmp_path), report_dir=str(tmp_path / "r"))
        assert len(calls) == drawn
        assert all(isinstance(ahead, chart_jobs.ChartsAhead) for ahead in calls)
    for ahead in calls:
        ahead.close()


@pytest.mark.skipif(not chart_jobs.can_fork(), reason="drawing ahead needs fork (Linux)")
def test_build_report_takes_the_chart_workers_prepared_before_it(tmp_path, monkeypatch):
    """``sferum run`` forks the workers before the metrics step (chart_jobs.prepare):
    the report uses those, once; with ``workers = 1`` it closes them and uses none."""
    calls, doc = [], _doc()
    monkeypatch.setattr(document.Document, "draw_ahead",
                        lambda self, ahead=None: calls.append(ahead))
    monkeypatch.setattr(document, "build_document", lambda *a, **k: doc)
    monkeypatch.setattr(document, "load_report_data", lambda *a: SimpleNamespace(metrics=None))
    monkeypatch.setattr(document, "trend_frame", lambda *a, **k: None)
    monkeypatch.setattr("sferum_analysis.cleaning.default_workers", lambda: 2)
    for workers in (2, 1):
        monkeypatch.setattr("sferum_analysis.steps.week_config",
                            lambda *a, w=workers, **k: RunConfig(workers=w))
        chart_jobs.prepare()
        prepared = chart_jobs._prepared
        assert isinstance(prepared, chart_jobs.ChartsAhead)
        chart_jobs.prepare()  # once
        assert chart_jobs._prepared is prepared
        rp.build_report(week=WEEK, data_dir=str(tmp_path), report_dir=str(tmp_path / "r"))
        assert chart_jobs.take_prepared() is None  # taken
        if workers == 2:
            assert calls == [prepared]
            prepared.close()
        else:
            assert len(calls) == 1  # not drawn ahead (closed): drawn in the notebook


# --------------------------------------------------------------------------- changes note
def test_changes_note_only_with_week_over_week_columns():
    with_prev = _doc(previous=True)
    note = (f'<p class="note">{texts.UP}/{texts.DOWN} — изменение к неделе по 22.01.2024: '
            "в процентных пунктах и места в рейтинге.</p>")
    assert note in _text(with_prev, "registered") and note in _text(with_prev, "active")
    # the schools' table has no rank change column: no «места в рейтинге»
    assert ("в процентных пунктах.</p>" in _text(with_prev, "district"))
    without = _doc(previous=False)
    for key in ("registered", "active", "district"):
        assert "изменение к неделе" not in _text(without, key)


def test_changes_note_html():
    table = pd.DataFrame(columns=[rp.COL_MO, rp.COL_CHANGE])
    assert html.changes_note_html(table, PREVIOUS) == (
        '<p class="note">▲/▼ — изменение к неделе по 22.01.2024: в процентных пунктах.</p>')
    assert html.changes_note_html(table, None) == ""
    assert html.changes_note_html(pd.DataFrame(columns=[rp.COL_MO]), PREVIOUS) == ""


def test_wide_tables_with_previous_week():
    assert 'style="width:100%;font-size:0.84em"' in _text(_doc(previous=True), "registered")
    assert "width:100%" not in _text(_doc(previous=False), "registered")


def test_active_section_notes():
    doc = _doc(target=40.0)
    assert (f'<p class="note">Цель — 40,0{NBSP}%: ниже цели 2 МО (столбец «До цели», на '
            "диаграмме — красным).</p>") in _text(doc, "active")
    other_rule = _doc(compare_active=False)
    assert "% активности с неделей по 22.01.2024 не сравнивается" in _text(other_rule, "active")
    assert "не сравнивается" not in _text(_doc(), "active")


# --------------------------------------------------------------------------- quality
def test_quality_threshold_defaults_to_the_sharp_change_constant():
    assert SHARP_CHANGE_PP == 15.0
    text = _text(_doc(), "quality")
    assert f"больше чем на 15,0{NBSP}п.{NBSP}п." in text
    assert "(10 сообщений и 1 звонков)" in text
    data = _data(previous=True)
    doc = rp.build_document(data, _trend(data.metrics, [PREVIOUS, WEEK]),
                            RunConfig(jump_threshold=7.5))
    assert f"на 7,5{NBSP}п." in _text(doc, "quality")


def test_quality_section_without_findings_and_with_signals():
    empty = _text(_doc(), "quality")
    assert "Замечаний нет." in empty and "Ничего не найдено." in empty
    assert "Список замечаний" not in empty
    findings = to_frame([Finding("sharp_change", "ДОО, г. Орёл: …", org_type="ДОО",
                                 mo="г. Орёл")])
    text = _text(_doc(findings=findings), "quality")
    assert "Признаков накрутки" in text and "<h3>Список замечаний</h3>" in text


def test_long_findings_list_is_cut():
    many = to_frame([Finding("duplicate", f"повтор {i}", file="11.csv", row=i + 2,
                             org_id="11") for i in range(document.FINDINGS_LIST_LIMIT + 5)])
    text = _text(_doc(findings=many), "quality")
    assert "Показаны первые 40 из 45" in text


# --------------------------------------------------------------------------- sheets
MAIN_SHEETS = ["Сотрудники ДОО", "% зарегистрированных", "% активности",
               "Активность ОО по районам", "Устойчивая активность"]
QUALITY_SHEETS = ["Качество данных", "Охват по МО", "Без выгрузки", "Аномалии", "Замечания"]
TREND_SHEETS = ["Динамика % зарег. ДОО", "Динамика % актив. ДОО"]


def test_sheet_list_per_edition_and_weeks():
    assert list(_doc().sheets) == [*MAIN_SHEETS, *TREND_SHEETS, *QUALITY_SHEETS]
    assert list(_doc(edition="internal").sheets) == [*MAIN_SHEETS, *TREND_SHEETS,
                                                      *QUALITY_SHEETS, "Приложение организации"]
    assert list(_doc(weeks=1, previous=False).sheets) == [*MAIN_SHEETS, *QUALITY_SHEETS]


def test_sheet_titles():
    titles = _doc().sheet_titles
    assert set(titles) == set(_doc().sheets)
    assert titles["Сотрудники ДОО"] == ("Сотрудники ДОО в ИКОП «Сферум» — неделя по "
                                        "29.01.2024 (редакция для министерства)")
    assert titles["% активности"] == ("% активности сотрудников (ДОО) — неделя по 29.01.2024; "
                                      "изменения — к неделе по 22.01.2024")
    internal = _doc(edition="internal", previous=False).sheet_titles
    assert internal["Сотрудники ДОО"].endswith("(внутренняя редакция)")
    assert internal["% активности"] == "% активности сотрудников (ДОО) — неделя по 29.01.2024"
    assert internal["Приложение организации"].endswith("(внутренняя редакция, не для рассылки)")


def test_write_xlsx(tmp_path):
    import openpyxl

    doc = _doc(edition="internal")
    doc.out_dir = tmp_path
    path = doc.write_xlsx()
    assert path == tmp_path / "sferum_2024-01-29_internal.xlsx"  # beside the ministry's
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == list(doc.sheets)
    sheet = book["% активности"]
    assert sheet["A1"].value == doc.sheet_titles["% активности"]
    headers = [c.value for c in sheet[2]]
    assert rp.ROW_CLASS not in headers and rp.COL_PCT_ACTIVE in headers


def test_region_row_is_the_total():
    doc = _doc()
    region = doc.sheets["% активности"].iloc[-1]
    metrics = _data(previous=True).metrics
    total = metrics[(metrics["org_type"] == "ДОО") & (metrics["mo"] == TOTAL)].iloc[0]
    assert region[rp.COL_MO] == rp.REGION_MEAN and region[rp.COL_PCT_ACTIVE] == total["pct_active"]


def test_build_report_reads_the_processed_week(tmp_path):
    with pytest.raises(FileNotFoundError, match="нет показателей недели 2024-01-29"):
        rp.build_report(week=WEEK, data_dir=str(tmp_path), report_dir=str(tmp_path / "r"))


def test_rule_goes_to_the_method_note():
    data = _data(previous=False)
    doc = rp.build_document(data, _trend(data.metrics, [WEEK]),
                            RunConfig(rule=ActiveRule("quota", 5, 2)))
    assert "не меньше 5 сообщений" in _text(doc, "title")
    assert "(5 сообщений и 2 звонков)" in _text(doc, "quality")


# --------------------------------------------------------------------------- the notebook
def _notebook_cells():
    return jupytext.read(NOTEBOOK).cells


def test_notebook_is_thin():
    """No definitions in the notebook; one call builds the document, cells show it."""
    code = [c for c in _notebook_cells() if c.cell_type == "code"]
    source = "\n".join(c.source for c in code)
    tree = ast.parse(source)
    assert not [n for n in ast.walk(tree)
                if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Lambda)]
    assert source.count("build_report(") == 1
    assert "15.0" not in source
    for cell in code:
        tags = cell.metadata.get("tags", [])
        if "parameters" in tags or "remove" in tags:
            continue
        statements = [ln for ln in cell.source.splitlines()
                      if ln.strip() and not ln.startswith("#")]
        assert len(statements) == 1 and statements[0].startswith("doc.show("), cell.source


def test_notebook_shows_the_document_sections_in_order_with_its_page_breaks():
    cells = _notebook_cells()
    shown = []
    for i, cell in enumerate(cells):
        match = re.search(r'doc\.show\("(\w+)"\)', cell.source)
        if not match:
            continue
        key = match.group(1)
        spec = next(s for s in rp.SECTIONS if s.key == key)
        before = cells[i - 1]
        if spec.heading is not None:
            assert before.cell_type == "markdown"
            assert before.source.splitlines()[0] == f"## {spec.heading}", key
            tagged = before
        else:
            assert before.cell_type != "markdown" or "remove" in before.metadata.get("tags", [])
            tagged = cell
        assert ("page-break" in tagged.metadata.get("tags", [])) == spec.page_break, key
        shown.append(key)
    assert shown == list(rp.SECTION_KEYS)


# --------------------------------------------------------------------------- sustained
def _with_sustained(data):
    """Hand-set indicators: Орёл 9 registered, 6 sustained, 2 new, 1 left; Ливны 5, 1, 0, 0;
    Болховский 6, 0, 1, 3; the ДОО total pooled: 7 of 20 = 35,0 %."""
    m = data.metrics.copy()
    values = {"г. Орёл": (6, 66.7, 2, 1), "г. Ливны": (1, 20.0, 0, 0),
              "Болховский район": (0, 0.0, 1, 3), "total": (7, 35.0, 3, 4)}
    m["sustained"], m["pct_sustained"] = pd.NA, pd.NA
    m["new_registered"], m["left"] = pd.NA, pd.NA
    m = m.astype({"sustained": "Int64", "pct_sustained": "Float64", "new_registered": "Int64",
                  "left": "Int64"})
    for mo, (sustained, pct, new, left) in values.items():
        at = (m["org_type"] == "ДОО") & (m["mo"] == mo)
        m.loc[at, ["sustained", "pct_sustained", "new_registered", "left"]] = \
            [sustained, pct, new, left]
    data.metrics = m
    return data


def test_sustained_activity_in_the_activity_table_and_its_own_section():
    data = _with_sustained(_data(previous=False))
    doc = rp.build_document(data, _trend(data.metrics, [WEEK]), RunConfig())
    active = doc.sheets["% активности"].set_index(rp.COL_MO)
    assert active.loc["г. Орёл", texts.COL_PCT_SUSTAINED] == 66.7
    assert active.loc[rp.REGION_MEAN, texts.COL_PCT_SUSTAINED] == 35.0
    assert "не меньше чем в 3 из 4 последних недель" in _text(doc, "active")
    table = doc.sheets["Устойчивая активность"]
    doo = table[table[texts.COL_TYPE] == "ДОО"].set_index(rp.COL_MO)
    assert doo.loc["г. Орёл", [texts.COL_SUSTAINED, texts.COL_PCT_SUSTAINED, texts.COL_NEW,
                               texts.COL_LEFT]].tolist() == [6, 66.7, 2, 1]
    assert doo.loc[rp.REGION_TOTAL, [texts.COL_SUSTAINED, texts.COL_PCT_SUSTAINED]].tolist() \
        == [7, 35.0]
    section = _text(doc, "sustained")
    assert "Устойчиво активные" in section and "«Новые» — сотрудники этой недели" in section
    assert [p.kind for p in doc.parts("sustained")] == ["html", "png"]  # the chart


def test_without_earlier_weeks_the_indicator_is_announced_not_shown():
    data = _data(previous=False)
    doc = rp.build_document(data, _trend(data.metrics, [WEEK]), RunConfig())
    assert texts.COL_PCT_SUSTAINED not in doc.sheets["% активности"].columns
    assert "появится, когда в data/raw будет не меньше 3 предыдущих недель" in \
        _text(doc, "active")
    assert [p.kind for p in doc.parts("sustained")] == ["html"]  # no chart
