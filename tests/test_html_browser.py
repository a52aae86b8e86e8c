"""The published HTML opened in headless Chromium with every network request blocked.

Chromium is driven over the DevTools protocol (a tiny client on ``websocket-client``):
no Playwright, no browser download. The test fails, never skips, when Chromium is
missing: CI installs it with ``apt-get install -y chromium``.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib
import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import websocket  # noqa: E402
from PIL import Image  # noqa: E402

from sferum_analysis.publish import notebook_to_html  # noqa: E402

WEEK = "2024-01-29"
HEADING = "Сотрудники ДОО в ИКОП «Сферум»"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
STARTUP_TIMEOUT = 20.0
PAGE_TIMEOUT = 15.0
# Only the page itself (file:) and embedded data: URLs may be loaded.
LOCAL_SCHEMES = ("file:", "data:", "about:")


def _chromium() -> str:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(
        "Chromium is required for the HTML browser test and was not found on PATH. "
        "Install it: `apt-get update && apt-get install -y chromium` (Debian/Ubuntu).",
        pytrace=False,
    )


class DevTools:
    """A minimal Chrome DevTools Protocol client over one browser websocket."""

    def __init__(self, ws_url: str) -> None:
        self.ws = websocket.create_connection(ws_url, timeout=PAGE_TIMEOUT,
                                              suppress_origin=True)
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.blocked: list[str] = []

    def close(self) -> None:
        self.ws.close()

    def _post(self, method: str, params: dict[str, Any] | None = None,
              session: str | None = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method,
                                   "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        return self._next_id

    def _receive(self) -> dict[str, Any]:
        message = json.loads(self.ws.recv())
        if "method" in message:
            self.events.append(message)
            if message["method"] == "Fetch.requestPaused":
                self._decide(message)
        return message

    def _decide(self, event: dict[str, Any]) -> None:
        """Let local requests through, fail (and remember) everything else."""
        params = event["params"]
        url = params["request"]["url"]
        if url.startswith(LOCAL_SCHEMES):
            self._post("Fetch.continueRequest", {"requestId": params["requestId"]},
                       event.get("sessionId"))
        else:
            self.blocked.append(url)
            self._post("Fetch.failRequest", {"requestId": params["requestId"],
                                             "errorReason": "BlockedByClient"},
                       event.get("sessionId"))

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        call_id = self._post(method, params, session)
        while True:
            message = self._receive()
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_for(self, method: str, session: str, since: int) -> None:
        deadline = time.monotonic() + PAGE_TIMEOUT
        while not any(e["method"] == method and e.get("sessionId") == session
                      for e in self.events[since:]):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} within {PAGE_TIMEOUT} s")
            self._receive()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    chromium = _chromium()
    profile = tmp_path_factory.mktemp("chromium-profile")
    args = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-extensions",
        "--disable-default-apps", "--disable-domain-reliability", "--metrics-recording-only",
        "--mute-audio", "--hide-scrollbars", f"--user-data-dir={profile}",
        # No name resolves and no proxy answers: nothing can leave the machine.
        "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
        "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
        "--window-size=1280,900", "about:blank",
    ]
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not (port_file.is_file() and len(port_file.read_text().splitlines()) >= 2):
            if process.poll() is not None or time.monotonic() > deadline:
                stderr = process.stderr.read().decode(errors="replace") if process.poll() \
                    is not None else ""
                pytest.fail(f"Chromium did not start: {stderr[-2000:]}", pytrace=False)
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        client = DevTools(f"ws://127.0.0.1:{port}{path}")
        try:
            yield client
        finally:
            client.close()
    finally:
        # Only the process group this fixture started.
        with_group = process.poll() is None
        if with_group:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        process.stderr.close()


def open_page(browser: DevTools, path: Path, screenshot: Path | None = None) -> dict[str, Any]:
    """Load ``path`` in a fresh tab; return page facts, console errors and network use."""
    target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.call("Target.attachToTarget",
                           {"targetId": target, "flatten": True})["sessionId"]
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(f"{domain}.enable", session=session)
        browser.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, session=session)
        browser.call("Emulation.setDeviceMetricsOverride", {
            "width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False,
        }, session=session)
        since = len(browser.events)
        browser.call("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired", session, since)
        facts = browser.call("Runtime.evaluate", {"returnByValue": True, "expression": """
            (() => {
              const images = [...document.images];
              const num = document.querySelector('td.num');
              const main = document.querySelector('main');
              return {
                lang: document.documentElement.lang,
                charset: document.characterSet,
                title: document.title,
                h1: (document.querySelector('h1') || {}).textContent,
                images: images.length,
                brokenImages: images.filter(i => !i.complete || i.naturalWidth === 0).length,
                scripts: document.scripts.length,
                tables: document.querySelectorAll('table').length,
                mainWidth: main ? main.getBoundingClientRect().width : null,
                numAlign: num ? getComputedStyle(num).textAlign : null,
                font: getComputedStyle(document.body).fontFamily,
                horizontalScroll: document.documentElement.scrollWidth > innerWidth,
                height: document.documentElement.scrollHeight,
              };
            })()
        """}, session=session)["result"]["value"]
        if screenshot is not None:
            shot = browser.call("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": 1280,
                         "height": min(int(facts["height"]), 6000), "scale": 1},
            }, session=session)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        mine = [e for e in browser.events[since:] if e.get("sessionId") == session]
    finally:
        browser.call("Target.closeTarget", {"targetId": target})

    errors = []
    for event in mine:
        params = event["params"]
        if event["method"] == "Runtime.consoleAPICalled" and params["type"] in ("error",
                                                                                "assert"):
            errors.append(" ".join(str(a.get("value", a.get("description")))
                                   for a in params["args"]))
        elif event["method"] == "Runtime.exceptionThrown":
            errors.append(params["exceptionDetails"].get("text", "exception"))
        elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
            errors.append(params["entry"]["text"])
        elif event["method"] == "Network.loadingFailed":
            errors.append(f"loading failed: {params.get('errorText')}")
    requested = [e["params"]["request"]["url"] for e in mine
                 if e["method"] in ("Network.requestWillBeSent", "Fetch.requestPaused")]
    facts["errors"] = errors
    facts["remote_requests"] = sorted({u for u in requested if not u.startswith(LOCAL_SCHEMES)}
                                      | set(browser.blocked))
    browser.blocked.clear()
    return facts


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


def test_report_renders_offline_without_errors(browser: DevTools, report_html: Path,
                                               tmp_path: Path) -> None:
    screenshot = Path(os.environ.get("SFERUM_SCREENSHOT", tmp_path / "report.png"))
    facts = open_page(browser, report_html, screenshot)

    assert facts["errors"] == []
    assert facts["remote_requests"] == []
    assert facts["lang"] == "ru" and facts["charset"] == "UTF-8"
    assert facts["title"] == f"ИКОП «Сферум», неделя {WEEK}"
    assert facts["h1"].strip() == HEADING
    assert facts["scripts"] == 0
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


def test_harness_catches_console_errors_and_remote_requests(browser: DevTools,
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
