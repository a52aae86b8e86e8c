"""Accessibility and the table script of the real published report, in headless Chromium.

The sample weeks are run once per module (``sferum run``, three weeks: changes, trends,
the tile map), both editions; every page is checked with axe-core (no serious or
critical violation, at a laptop's and a phone's width) and its markup (headings in order,
table headers). Sorting and filtering are driven as a reader does them (a click, the
Enter key, typing), the expected orders computed from ``metrics_mo.csv``.

Other pages of ``reports/`` get the same check with ``axe_violations(browser, path)`` from
:mod:`browser_helpers`.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from browser_helpers import (  # noqa: F401  (browser: module fixture)
    axe_violations,
    browser,
    evaluate,
    format_violations,
    press,
    tab,
    type_text,
)
from bs4 import BeautifulSoup

from sferum_analysis.config import PROJECT_DIR

WEEK = "2024-01-29"
ACTIVE_HEADING = "% активности сотрудников"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory, run_cli) -> dict[str, Path]:
    """The sample week published in both editions: edition -> HTML (and the metrics)."""
    raw = PROJECT_DIR / "data" / "raw"
    if not (raw / WEEK).is_dir() or not (raw / "registry").is_dir():
        pytest.skip(f"the sample data {raw}/{WEEK} is missing (make sample)")
    root = tmp_path_factory.mktemp("a11y")
    shutil.copytree(raw / "registry", root / "data" / "raw" / "registry")
    weeks = sorted(p.name for p in raw.iterdir() if p.name[:2] == "20" and p.name <= WEEK)[-3:]
    for week in weeks:
        shutil.copytree(raw / week, root / "data" / "raw" / week)
    out = root / "reports" / WEEK
    pages: dict[str, Path] = {}
    for edition, name in (("ministry", f"sferum_{WEEK}.html"),
                          ("internal", f"sferum_{WEEK}_internal.html")):
        res = run_cli("run", WEEK, "--data-dir", root / "data", "--reports-dir",
                      root / "reports", "--edition", edition)
        assert res.returncode == 0, res
        pages[edition] = root / name  # kept aside: one edition's run may tidy the other's
        shutil.copy(out / name, pages[edition])
    pages["metrics"] = root / "metrics_mo.csv"
    shutil.copy(out / "metrics_mo.csv", pages["metrics"])
    pages["index"] = root / "reports" / "index.html"
    pages["mo"] = sorted((out / "mo").glob("*.html"))[0]  # the first МО: г. Орёл
    return pages


@pytest.mark.parametrize("width", [1280, 420])
@pytest.mark.parametrize("page", ["index", "mo"])
def test_index_and_municipality_pages_have_no_serious_axe_violations(
        site, browser, page, width):  # noqa: F811
    violations = axe_violations(browser, site[page], width=width)
    assert violations == [], "\n" + format_violations(violations)


@pytest.mark.parametrize("page", ["index", "mo"])
def test_site_pages_headings_in_order_and_lang(site, page):
    soup = BeautifulSoup(site[page].read_text("utf-8"), "html.parser")
    assert soup.html["lang"] == "ru"
    levels = [int(h.name[1]) for h in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]
    assert levels[0] == 1 and levels.count(1) == 1
    assert [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1] == []
    for table in soup.find_all("table"):
        assert all(th.get("scope") == "col" for th in table.select("thead th")), page


@pytest.mark.parametrize("width", [1280, 420])
@pytest.mark.parametrize("edition", ["ministry", "internal"])
def test_report_has_no_serious_axe_violations(site, browser, edition, width):  # noqa: F811
    violations = axe_violations(browser, site[edition], width=width)
    assert violations == [], "\n" + format_violations(violations)


@pytest.mark.parametrize("edition", ["ministry", "internal"])
def test_headings_in_order_and_tables_marked_up(site, edition):
    soup = BeautifulSoup(site[edition].read_text("utf-8"), "html.parser")
    assert soup.html["lang"] == "ru"
    levels = [int(h.name[1]) for h in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]
    assert levels[0] == 1 and levels.count(1) == 1
    skipped = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
    assert skipped == [], "a heading level is skipped"
    tables = [t for t in soup.find_all("table") if "headline" not in (t.get("class") or [])]
    assert len(tables) >= 8
    for table in tables:
        assert all(th.get("scope") == "col" for th in table.select("thead th"))
        label = table.get("aria-labelledby") or ""
        assert table.find("caption") or (label and soup.find(id=label)), table.get("class")
        assert table.parent.get("tabindex") == "0", "a scroll box the keyboard cannot reach"
    for img in soup.find_all("img"):
        assert img.get("alt") and img["alt"] != "Диаграмма", img["alt"][:80]
    assert soup.find("h2", string="Карта: % активности и % зарегистрированных по МО")


def _doo_active(site) -> dict[str, float | None]:
    with site["metrics"].open(encoding="utf-8", newline="") as fh:
        return {r["mo"]: (float(r["pct_active"]) if r["pct_active"] else None)
                for r in csv.DictReader(fh) if r["org_type"] == "ДОО" and r["mo"] != "total"}


_TABLE = f"""
  const h = [...document.querySelectorAll('h2')]
    .find(e => e.textContent.trim() === {json.dumps(ACTIVE_HEADING)});
  const table = document.getElementById(h.id) && document.querySelector(
    'table[aria-labelledby="' + h.id + '"]');
"""
_READ = _TABLE + """
  const heads = [...table.tHead.rows[0].cells].map(c => c.textContent.trim());
  const col = name => heads.findIndex(t => t === name || t.startsWith(name));
  const rows = [...table.tBodies[0].rows].filter(r => !r.classList.contains('filtered-out'));
  return {heads, sort: [...table.tHead.rows[0].cells].map(c => c.getAttribute('aria-sort')),
          mo: rows.map(r => r.cells[col('МО')].textContent.replace(/[\\u00a0 ][*†‡]+$/, '')
                                                           .trim()),
          pct: rows.map(r => r.cells[col('% Активности')].textContent.trim()),
          total: rows.map(r => r.classList.contains('total')),
          count: (table.parentNode.previousElementSibling || {}).textContent || ''};
"""


def _read(page) -> dict:
    return evaluate(page, f"(() => {{ {_READ} }})()")


def _number(text: str) -> float | None:
    return None if text in ("—", "") else float(text.replace(",", "."))


def test_sorting_by_a_click_and_by_the_keyboard(site, browser):  # noqa: F811
    values = _doo_active(site)
    with tab(browser, site["ministry"]) as page:
        before = _read(page)
        assert before["total"][-1] and sum(before["total"]) == 1
        assert set(before["mo"][:-1]) == set(values)
        # a click on the "% Активности" header: ascending, missing values last
        evaluate(page, f"""(() => {{ {_TABLE}
            [...table.tHead.rows[0].cells].find(c => c.textContent.trim()
              .startsWith('% Активности')).querySelector('button').click(); }})()""")
        asc = _read(page)
        expected = sorted(before["mo"][:-1], key=lambda mo: (
            values[mo] is None, values[mo] or 0.0, before["mo"].index(mo)))
        assert asc["mo"][:-1] == expected
        assert [_number(p) for p in asc["pct"][:-1]] == [values[mo] for mo in expected]
        assert asc["total"][-1], "the region's row stays at the bottom"
        assert "ascending" in asc["sort"] and asc["sort"].count(None) == len(asc["sort"]) - 1
        # the same button again: descending (missing values still last)
        evaluate(page, f"""(() => {{ {_TABLE}
            table.querySelector('th[aria-sort] button').click(); }})()""")
        desc = _read(page)
        shown = [_number(p) for p in desc["pct"][:-1]]
        present = [v for v in shown if v is not None]
        assert present == sorted(present, reverse=True) and desc["total"][-1]
        assert shown[len(present):] == [None] * (len(shown) - len(present))
        assert "descending" in desc["sort"]
        # the keyboard: focus the "МО" header's button, press Enter: by name (А…Я)
        evaluate(page, f"""(() => {{ {_TABLE}
            [...table.tHead.rows[0].cells].find(c => c.textContent.trim() === 'МО')
              .querySelector('button').focus(); }})()""")
        press(page, "Enter")
        by_name = _read(page)
        assert by_name["mo"][:-1] == sorted(values, key=lambda s: s.casefold().replace("ё", "е"))
        assert by_name["total"][-1]


def test_filter_hides_rows_that_do_not_match_and_not_in_print(site, browser):  # noqa: F811
    values = _doo_active(site)
    with tab(browser, site["ministry"]) as page:
        label = evaluate(page, f"""(() => {{ {_TABLE}
            const box = table.parentNode.previousElementSibling;
            box.querySelector('input').focus();
            return box.querySelector('label').textContent.trim(); }})()""")
        assert label == "Фильтр по названию"
        type_text(page, "орел")  # ё and е, any case
        shown = _read(page)
        assert shown["mo"][:-1] == ["г. Орёл"] and shown["total"] == [False, True]
        count = evaluate(page, f"""(() => {{ {_TABLE}
            return table.parentNode.previousElementSibling
              .querySelector('.filter-count').textContent; }})()""")
        assert count == f"Показано 1 из {len(values)}"
        page.call("Emulation.setEmulatedMedia", {"media": "print"})
        printed = evaluate(page, f"""(() => {{ {_TABLE}
            const box = table.parentNode.previousElementSibling;
            return {{box: getComputedStyle(box).display,
                     rows: [...table.tBodies[0].rows].filter(
                       r => getComputedStyle(r).display !== 'none').length}}; }})()""")
        assert printed == {"box": "none", "rows": len(values) + 1}  # paper: the whole table


def test_report_without_the_script_is_the_plain_table(site, browser, tmp_path):  # noqa: F811
    """With JavaScript off (a CSP that runs nothing) the tables are complete, unchanged."""
    text = site["ministry"].read_text("utf-8").replace("script-src 'sha256-", "script-src 'x-")
    page_path = tmp_path / "noscript.html"
    page_path.write_text(text, "utf-8")
    with tab(browser, page_path) as page:
        facts = evaluate(page, """(() => ({
            buttons: document.querySelectorAll('th button').length,
            filters: document.querySelectorAll('.table-filter').length,
            rows: document.querySelectorAll('table[data-sortable] tbody tr').length}))()""")
    assert facts["buttons"] == 0 and facts["filters"] == 0 and facts["rows"] > 50


def test_axe_check_is_not_vacuous(site, browser, tmp_path):  # noqa: F811
    """Without the fix (a scroll box the keyboard cannot reach, no script), axe reports it."""
    text = (site["ministry"].read_text("utf-8").replace(' tabindex="0"', "")
            .replace("script-src 'sha256-", "script-src 'x-"))
    page_path = tmp_path / "unfixed.html"
    page_path.write_text(text, "utf-8")
    ids = {v["id"] for v in axe_violations(browser, page_path, width=420)}
    assert "scrollable-region-focusable" in ids
