"""The published site (data contract, section 6): reports/index.html, editions side by side,
a page per municipality, and links that never leave reports/.

Whole runs use the tiny region of ``tiny_region.py`` with a list of three municipalities
(so a week has three МО pages, not 27): week 1, then week 2 in the internal edition (which
processes week 1 first), week 2 in the ministry edition; then week 2's exports change and
the internal edition is published again — the ministry edition must be marked stale.
Every figure is read back from the published HTML, never from the code that wrote it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import openpyxl
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from tiny_region import HEADER, write_region, write_week

from sferum_analysis import site, status, store

W1, W2 = "2024-01-22", "2024-01-29"
NAMES = ("Иванова Анна", "Петрова Мария", "Сидоров Олег")
MUNICIPALITIES = ("order,name,kind,variants\n"
                  "1,г. Орёл,городской округ,г.Орел|Орёл|Орел\n"
                  "2,Болховский район,муниципальный район,Болховский\n"
                  "3,Урицкий район,муниципальный район,Урицкий\n")
NBSP, NNBSP = "\u00a0", "\u202f"


# ============================================================================ fast
def test_slugs_are_ascii_numbered_in_canonical_order():
    assert store.transliterate("г. Орёл") == "g-orel"
    assert store.transliterate("Залегощенский район") == "zalegoshchenskiy-rayon"
    assert store.mo_slugs(["г. Орёл", "Урицкий район"]) == {"г. Орёл": "01-g-orel",
                                                            "Урицкий район": "02-uritskiy-rayon"}
    slug = store.mo_slug(27, "Орловский муниципальный округ с очень длинным названием")
    assert slug.isascii() and slug.startswith("27-") and len(slug) <= 3 + store.MO_SLUG_MAX
    assert store.mo_slug(5, "???") == "05-mo"


def _manifest(folder: Path, edition: str, data: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps({
        "edition": edition, "processed": {"metrics.parquet": data, "run_config.json": "x"},
        "editions": {edition: {"data": {"metrics.parquet": data}, "published_at": "t"}}}),
        encoding="utf-8")
    for path in store.edition_files(folder, W2, edition):
        path.write_text(edition, encoding="utf-8")


@pytest.mark.parametrize("same_data", [True, False])
def test_the_other_edition_is_kept_and_marked_stale_when_its_data_differ(tmp_path, same_data):
    final, stage = tmp_path / W2, tmp_path / "stage"
    _manifest(final, "internal", "old")
    stage.mkdir()
    processed = {"metrics.parquet": "old" if same_data else "new", "run_config.json": "y"}
    editions = site.carry_other_edition(final, stage, W2, "ministry", processed, "now")
    assert list(editions) == ["ministry", "internal"]
    assert [p.read_text("utf-8") for p in store.edition_files(stage, W2, "internal")] == \
        ["internal"] * 3
    manifest = {"processed": processed, "editions": editions}
    assert status.edition_states(manifest) == {"ministry": False, "internal": not same_data}
    assert ("устарела" in status.editions_text(manifest)) is not same_data


def test_a_manifest_from_before_editions_side_by_side():
    old = {"edition": "internal", "processed": {"metrics.parquet": "a"}}
    assert status.edition_states(old) == {"internal": False}
    assert status.editions_text(old) == "внутренняя"


def test_index_without_weeks(tmp_path):
    soup = BeautifulSoup(site.build_index(tmp_path, "Тульская область"), "html.parser")
    assert soup.html["lang"] == "ru"
    assert "Тульская область" in soup.title.get_text() and "Тульская область" in soup.h1.text


# ============================================================================ slow: whole runs
@pytest.fixture(scope="module")
def published(tmp_path_factory, run_cli):
    root = tmp_path_factory.mktemp("site")
    data, reports = root / "data", root / "reports"
    write_region(data)
    (data / "raw" / "registry" / "municipalities.csv").write_text(MUNICIPALITIES, "utf-8")
    write_week(data, W1, active=1)
    write_week(data, W2, active=2)
    for args in (("--edition", "internal"), ()):
        result = run_cli("run", W2, "--data-dir", data, "--reports-dir", reports, *args)
        assert result.returncode == 0, result
    both = root / "both"
    shutil.copytree(reports, both)
    # week 2's school export changes: the ministry edition published before is now stale
    (data / "raw" / W2 / "22 школа.csv").write_text(
        HEADER + "29.01.2024;Сидоров Олег;teacher;0;3;0\n", encoding="utf-8")
    result = run_cli("run", W2, "--data-dir", data, "--reports-dir", reports,
                     "--edition", "internal")
    assert result.returncode == 0, result
    status = run_cli("status", "--data-dir", data, "--reports-dir", reports)
    assert status.returncode == 0, status
    return {"both": both, "after": reports, "status": status.stdout}


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text("utf-8"), "html.parser")


def site_pages(reports: Path) -> list[Path]:
    return sorted(reports.rglob("*.html"))


@pytest.mark.slow
def test_index_lists_every_week_newest_first_with_its_figures(published):
    reports = published["both"]
    page = soup(reports / "index.html")
    assert page.html["lang"] == "ru"
    assert "Орловская область" in page.title.get_text()
    assert "Орловская область" in page.h1.get_text()
    weeks = [s["id"][1:] for s in page.select("section.week")]
    assert weeks == [W2, W1]
    latest = page.select_one("section.week")
    metrics = pd.read_csv(reports / W2 / "metrics_mo.csv")
    for tr in latest.select("table.headline tbody tr"):
        total = metrics[(metrics["mo"] == "total") & (metrics["org_type"] == tr["data-org-type"])]
        cell = {td["data-field"]: td.get_text(strip=True) for td in tr.find_all("td")}
        assert int(cell["registered"].replace(NNBSP, "")) == total["registered"].iloc[0]
        assert cell["pct_active"] == f"{total['pct_active'].iloc[0]:.1f}".replace(".", ",") \
            + f"{NBSP}%"
    hrefs = {a["href"] for a in latest.find_all("a")}
    assert {f"{W2}/sferum_{W2}.html", f"{W2}/sferum_{W2}_internal.pdf",
            f"{W2}/mo/01-g-orel.html", f"{W2}/mo/03-uritskiy-rayon.html"} <= hrefs


@pytest.mark.slow
def test_both_editions_coexist_after_publishing_both(published):
    folder = published["both"] / W2
    for edition in ("ministry", "internal"):
        assert all(p.is_file() for p in store.edition_files(folder, W2, edition)), edition
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest["edition"] == "ministry"
    assert status.edition_states(manifest) == {"ministry": False, "internal": False}
    assert "устарела" not in soup(published["both"] / "index.html").get_text()


@pytest.mark.slow
def test_an_edition_published_from_older_data_is_kept_and_marked_stale(published):
    folder = published["after"] / W2
    assert all(p.is_file() for p in store.edition_files(folder, W2, "ministry"))
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert status.edition_states(manifest) == {"ministry": True, "internal": False}
    item = soup(published["after"] / "index.html").select_one(
        "section.week li[data-edition=ministry]")
    assert "устарела, опубликуйте заново" in item.get_text()
    line = next(ln for ln in published["status"].splitlines() if ln.startswith(W2))
    assert "для министерства (устарела, опубликуйте заново)" in line and "внутренняя" in line
    assert "Редакции" in published["status"].splitlines()[0]


@pytest.mark.slow
def test_a_page_per_mo_with_the_figures_of_metrics_mo_csv(published):
    folder = published["both"] / W2
    metrics = pd.read_csv(folder / "metrics_mo.csv")
    names = {"01-g-orel": "г. Орёл", "02-bolkhovskiy-rayon": "Болховский район",
             "03-uritskiy-rayon": "Урицкий район"}
    assert sorted(p.stem for p in (folder / "mo").glob("*.html")) == sorted(names)
    for slug, mo in names.items():
        for fmt in ("pdf", "xlsx"):
            assert (folder / "mo" / f"{slug}.{fmt}").is_file()
        page = soup(folder / "mo" / f"{slug}.html")
        assert mo in page.title.get_text() and "Орловская область" in page.title.get_text()
        assert page.h1.get_text().startswith(mo)
        checked = 0
        for table in page.select("table.figures"):
            org_type = table["data-org-type"]
            own = metrics[(metrics["org_type"] == org_type) & (metrics["mo"] == mo)].iloc[0]
            region = metrics[(metrics["org_type"] == org_type) & (metrics["mo"] == "total")].iloc[0]
            for tr in table.select("tbody tr[data-metric]"):
                field = tr["data-metric"]
                if field == "coverage":
                    continue
                shown = [td.get_text(strip=True) for td in tr.find_all("td")[:2]]
                for text, expected in zip(shown, (own[field], region[field]), strict=True):
                    assert _number(text) == (None if pd.isna(expected) else float(expected)), \
                        (slug, org_type, field)
                    checked += 1
        if slug == "02-bolkhovskiy-rayon":  # no organisation in the registry
            assert checked == 0 and "В МО нет организаций" in page.get_text()
        else:
            assert checked >= 10, slug
        hrefs = [a["href"] for a in page.find_all("a")]
        assert "../../index.html" in hrefs and f"../sferum_{W2}.html" in hrefs
    orel = soup(folder / "mo" / "01-g-orel.html")
    assert "ДС «Ромашка»" in orel.select_one("table.orgs").get_text()
    wb = openpyxl.load_workbook(folder / "mo" / "01-g-orel.xlsx")
    assert any("ДС «Ромашка»" in str(c.value) for ws in wb for row in ws.iter_rows()
               for c in row)
    # the week report links to every page
    report = soup(folder / f"sferum_{W2}.html")
    assert {f"mo/{slug}.html" for slug in names} <= {a["href"] for a in report.find_all("a")}


def _number(text: str) -> float | None:
    text = text.replace(NBSP, "").replace(NNBSP, "").replace("%", "").replace(",", ".")
    return None if text == "—" else float(text)


@pytest.mark.slow
@pytest.mark.parametrize("state", ["both", "after"])
def test_every_link_resolves_inside_reports(published, state):
    reports = published[state].resolve()
    pages = site_pages(reports)
    assert len(pages) >= 2 * 3 + 3  # two weeks' МО pages, reports, the index
    for page in pages:
        for tag in soup(page).find_all(True):
            for attr in ("href", "src"):
                url = tag.get(attr)
                if url is None or url.startswith(("data:", "#")):
                    continue
                assert not urlsplit(url).scheme and not url.startswith("//"), (page, url)
                target = (page.parent / unquote(urlsplit(url).path)).resolve()
                assert target.is_relative_to(reports), (page, url)
                assert target.exists(), (page, url)
        assert "http://" not in page.read_text("utf-8").replace(
            'xmlns="http://www.w3.org/2000/svg"', "")


@pytest.mark.slow
def test_no_person_name_on_any_page(published):
    import pypdf

    for reports in (published["both"], published["after"]):
        texts = [p.read_text("utf-8") for p in site_pages(reports)]
        for pdf in reports.glob("*/mo/*.pdf"):
            texts.append("\n".join(pg.extract_text() for pg in pypdf.PdfReader(pdf).pages))
        for xlsx in reports.glob("*/mo/*.xlsx"):
            wb = openpyxl.load_workbook(xlsx)
            texts.append(" ".join(str(c.value) for ws in wb for row in ws.iter_rows()
                                  for c in row if c.value is not None))
        assert len(texts) > 10
        for text in texts:
            flat = " ".join(text.split()).casefold()
            for name in NAMES:
                assert name.casefold() not in flat
                assert name.split()[0].casefold() not in flat
