"""Headless Chromium for the tests of published pages, over the DevTools protocol.

A tiny client on ``websocket-client`` (no Playwright, no browser download); every network
request of a page except ``file:``/``data:``/``about:`` is blocked and remembered. Use:

* the ``browser`` fixture (one Chromium per test module; import it into the module:
  ``from browser_helpers import browser  # noqa: F401``);
* :func:`open_page` — load a page, return facts about it, console errors, remote requests;
* :func:`tab` — a context manager with a loaded page, for :func:`evaluate`, :func:`press`,
  :func:`type_text` (clicks, keys, typing as a user does them);
* :func:`axe_violations` — axe-core's violations of a page (serious and critical by default),
  :func:`format_violations` to print them. axe-core (``axe.min.js``) comes inside the PyPI
  package ``axe-playwright-python`` (the ``dev`` extras; its Playwright is not used) and is
  injected into the page: nothing is fetched.

The tests fail, never skip, when Chromium is missing: CI installs it with
``scripts/ensure_chromium.sh`` (``apt-get install -y chromium``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import websocket

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
STARTUP_TIMEOUT = 60.0
PAGE_TIMEOUT = 15.0
#: axe-core on a long report takes a few seconds on a busy machine.
AXE_TIMEOUT = 120.0
# Only the page itself (file:) and embedded data: URLs may be loaded.
LOCAL_SCHEMES = ("file:", "data:", "about:")
#: The impacts that fail a page (axe's scale: minor, moderate, serious, critical).
SERIOUS = ("serious", "critical")


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
             session: str | None = None, timeout: float = PAGE_TIMEOUT) -> dict[str, Any]:
        call_id = self._post(method, params, session)
        self.ws.settimeout(timeout)
        try:
            while True:
                message = self._receive()
                if message.get("id") == call_id:
                    if "error" in message:
                        raise RuntimeError(f"{method}: {message['error']}")
                    return message.get("result", {})
        finally:
            self.ws.settimeout(PAGE_TIMEOUT)

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


class Tab:
    """A loaded page in its own browser tab (a DevTools session)."""

    def __init__(self, browser: DevTools, session: str, since: int) -> None:
        self.browser, self.session, self.since = browser, session, since

    def call(self, method: str, params: dict[str, Any] | None = None,
             timeout: float = PAGE_TIMEOUT) -> dict[str, Any]:
        return self.browser.call(method, params, self.session, timeout=timeout)

    def events(self) -> list[dict[str, Any]]:
        return [e for e in self.browser.events[self.since:] if e.get("sessionId") == self.session]


@contextlib.contextmanager
def tab(browser: DevTools, path: Path, width: int = 1280) -> Iterator[Tab]:
    """Load ``path`` in a fresh tab (network blocked, ``width`` CSS pixels wide)."""
    if not Path(path).is_file():  # Chromium would show its error page instead
        raise FileNotFoundError(path)
    target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.call("Target.attachToTarget",
                           {"targetId": target, "flatten": True})["sessionId"]
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(f"{domain}.enable", session=session)
        browser.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, session=session)
        browser.call("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False,
        }, session=session)
        since = len(browser.events)
        browser.call("Page.navigate", {"url": Path(path).resolve().as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired", session, since)
        yield Tab(browser, session, since)
    finally:
        browser.call("Target.closeTarget", {"targetId": target})


def evaluate(page: Tab, expression: str, *, await_promise: bool = False,
             timeout: float = PAGE_TIMEOUT) -> Any:
    """The value of a JavaScript expression in the page (JSON-serialisable)."""
    result = page.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                            "awaitPromise": await_promise}, timeout=timeout)
    if "exceptionDetails" in result:
        details = result["exceptionDetails"]
        raise RuntimeError(details.get("exception", {}).get("description")
                           or details.get("text", "exception"))
    return result["result"].get("value")


def press(page: Tab, key: str = "Enter") -> None:
    """Press a key (``Enter``, ``Space``…) on the focused element, as a keyboard does."""
    codes = {"Enter": (13, "\r"), "Space": (32, " ")}
    code, text = codes[key]
    common = {"key": key if key != "Space" else " ", "code": key,
              "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code}
    page.call("Input.dispatchKeyEvent", {"type": "keyDown", "text": text, **common})
    page.call("Input.dispatchKeyEvent", {"type": "keyUp", **common})


def type_text(page: Tab, text: str) -> None:
    """Type ``text`` into the focused element (fires ``input`` events)."""
    page.call("Input.insertText", {"text": text})


def page_errors(events: list[dict[str, Any]]) -> list[str]:
    """Console errors, exceptions, error log entries and failed loads among ``events``."""
    errors = []
    for event in events:
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
    return errors


_FACTS = """
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
    sortable: document.querySelectorAll('table[data-sortable] th button').length,
    mainWidth: main ? main.getBoundingClientRect().width : null,
    numAlign: num ? getComputedStyle(num).textAlign : null,
    font: getComputedStyle(document.body).fontFamily,
    horizontalScroll: document.documentElement.scrollWidth > innerWidth,
    height: document.documentElement.scrollHeight,
  };
})()
"""


def open_page(browser: DevTools, path: Path, screenshot: Path | None = None) -> dict[str, Any]:
    """Load ``path`` in a fresh tab; return page facts, console errors and network use.

    ``scripts`` counts the page's scripts (the published report has one, the trusted
    table script), ``sortable`` the sort buttons that script made.
    """
    import base64

    with tab(browser, path) as page:
        facts = evaluate(page, _FACTS)
        if screenshot is not None:
            shot = page.call("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": 1280,
                         "height": min(int(facts["height"]), 6000), "scale": 1},
            })
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        mine = page.events()

    requested = [e["params"]["request"]["url"] for e in mine
                 if e["method"] in ("Network.requestWillBeSent", "Fetch.requestPaused")]
    facts["errors"] = page_errors(mine)
    facts["remote_requests"] = sorted({u for u in requested if not u.startswith(LOCAL_SCHEMES)}
                                      | set(browser.blocked))
    browser.blocked.clear()
    return facts


@cache
def axe_source() -> str:
    """axe.min.js of the ``axe-playwright-python`` package (a dev dependency)."""
    from importlib.resources import files

    return (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def run_axe(page: Tab, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """axe-core's results of the loaded page (``violations``, ``passes``…), WCAG 2 A/AA
    and best practices by default."""
    evaluate(page, axe_source() + "\n;true", timeout=AXE_TIMEOUT)
    options = options or {"resultTypes": ["violations"]}
    script = (f"axe.run(document, {json.dumps(options)})"
              ".then(r => ({violations: r.violations, version: axe.version}))")
    return evaluate(page, script, await_promise=True, timeout=AXE_TIMEOUT)


def axe_violations(browser: DevTools, path: Path, impacts: tuple[str, ...] = SERIOUS,
                   *, width: int = 1280) -> list[dict[str, Any]]:
    """axe-core's violations of the page at ``path`` whose impact is in ``impacts``
    (serious and critical by default; ``impacts=()`` gives all of them). Each violation
    is axe's dict: ``id``, ``impact``, ``help``, ``nodes`` (``target``, ``html``,
    ``failureSummary``)."""
    with tab(browser, path, width=width) as page:
        results = run_axe(page)
    return [v for v in results["violations"] if not impacts or v["impact"] in impacts]


def format_violations(violations: list[dict[str, Any]], nodes: int = 5) -> str:
    """A readable list of violations (rule, impact, help, the first ``nodes`` elements)."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} [{v['impact']}] {v['help']} ({len(v['nodes'])} elements)")
        for node in v["nodes"][:nodes]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"        {summary[:300]}")
    return "\n".join(lines)
