"""The published HTML opened in headless Chromium with every network request blocked.

Chromium is driven over the DevTools protocol by :mod:`browser_helpers` (a tiny client on
``websocket-client``): no Playwright, no browser download. The test fails, never skips,
when Chromium is missing: CI installs it with ``apt-get install -y chromium``.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import matplotlib
import nbformat
import pandas as pd
import pytest
from browser_helpers import DevTools, browser, open_page  # noqa: F401  (browser: fixture)
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from sferum_analysis.publish import notebook_to_html  # noqa: E402

WEEK = "2024-01-29"
HEADING = "Сотрудники ДОО в ИКОП «Сферум»"


def _chart(fmt: str) -> bytes:
    with plt.rc_context({"svg.hashsalt": "sferum"}):
        fig, ax = plt.subplots(figsize=(6, 3), dpi=150)
        ax.bar(["Орёл", "Мценск", "Ливны"], [90.2, 75.5, 60.1], color="#17375e")
        ax.set_title(f"% зарегистрированных ({fmt})")
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=150,
                    metadata={"Date": None} if fmt == "svg" else None)
        plt.close(fig)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser-report")
    table = pd.DataFrame({
        "№": range(1, 28),
        "МО": [f"Муниципальное образование {i}" for i in range(1, 28)],
        "% Зарегистрированных воспитателей": [f"{90 - i * 1.5:.1f}".replace(".", ",")
                                              for i in range(27)],
    })
    nb = new_notebook(cells=[
        new_markdown_cell(f"# {HEADING}\n\nНеделя {WEEK}."),
        new_code_cell('week = "2024-01-29"', metadata={"tags": ["parameters"]}),
        new_code_cell("table", outputs=[new_output("display_data", data={
            "text/html": table.to_html(index=False), "text/plain": "table"})]),
        new_code_cell("png", outputs=[new_output("display_data", data={
            "image/png": base64.b64encode(_chart("png")).decode("ascii"),
            "text/plain": "<Figure>"})]),
        new_code_cell("svg", outputs=[new_output("display_data", data={
            "image/svg+xml": _chart("svg").decode("utf-8"), "text/plain": "<Figure>"})]),
        new_markdown_cell('<div class="callout warning">\nОхват неполный: 25 из 27 МО.\n</div>'),
    ])
    ipynb = root / "report.ipynb"
    nbformat.write(nb, ipynb)
    return notebook_to_html(ipynb, root / "sferum_2024-01-29.html",
                            title=f"ИКОП «Сферум», неделя {WEEK}", week=WEEK)


def test_report_renders_offline_without_errors(browser: DevTools, report_html: Path,  # noqa: F811
                                               tmp_path: Path) -> None:
    screenshot = Path(os.environ.get("SFERUM_SCREENSHOT", tmp_path / "report.png"))
    facts = open_page(browser, report_html, screenshot)

    assert facts["errors"] == []
    assert facts["remote_requests"] == []
    assert facts["lang"] == "ru" and facts["charset"] == "UTF-8"
    assert facts["title"] == f"ИКОП «Сферум», неделя {WEEK}"
    assert facts["h1"].strip() == HEADING
    assert facts["scripts"] == 1  # only the trusted table script (publish.py)
    assert facts["images"] == 2 and facts["brokenImages"] == 0
    assert facts["tables"] == 1
    assert facts["numAlign"] == "right"
    assert "DejaVu Sans" in facts["font"]
    assert facts["mainWidth"] <= 1000
    assert not facts["horizontalScroll"]

    image = Image.open(screenshot).convert("RGB")
    assert image.width == 1280 and image.height > 900
    colors = image.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50, "the screenshot looks blank"


def test_harness_catches_console_errors_and_remote_requests(browser: DevTools,  # noqa: F811
                                                            tmp_path: Path) -> None:
    """The checks above are not vacuous: a page that misbehaves is caught."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"></head><body>'
        '<img src="https://cdn.example.org/logo.png">'
        "<script>console.error('boom')</script></body></html>",
        encoding="utf-8",
    )
    facts = open_page(browser, page)
    assert any("boom" in error for error in facts["errors"])
    assert "https://cdn.example.org/logo.png" in facts["remote_requests"]
