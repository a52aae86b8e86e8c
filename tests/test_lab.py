"""`sferum lab`: a real JupyterLab server on the project, in Russian, without news, where
the exploration notebook runs and a notebook saved unchanged leaves git clean."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from tiny_region import write_region, write_week

from sferum_analysis.cli import build_parser
from sferum_analysis.config import NOTEBOOKS_DIR, PROJECT_DIR

TOKEN = "sferum-test-token"
NOTEBOOK = "notebooks/10_explore.ipynb"


def test_lab_passes_unknown_options_to_jupyterlab():
    args = build_parser().parse_args(
        ["lab", "--ip", "0.0.0.0", "--port", "9000", "--ServerApp.token=abc", "--no-browser",
         "--ServerApp.allow_origin", "*"])
    assert (args.port, args.no_browser) == (9000, True)
    assert args.jupyter_args == ["--ip", "0.0.0.0", "--ServerApp.token=abc",
                                 "--ServerApp.allow_origin", "*"]
    assert build_parser().parse_args(["lab"]).jupyter_args == []


def test_lab_settings_are_shipped_in_the_package():
    from sferum_analysis.config import PACKAGE_DIR

    overrides = json.loads((PACKAGE_DIR / "jupyter" / "labconfig"
                            / "default_setting_overrides.json").read_text("utf-8"))
    assert overrides["@jupyterlab/translation-extension:plugin"]["locale"] == "ru_RU"
    assert overrides["@jupyterlab/apputils-extension:notification"] == {
        "fetchNews": "false", "checkForUpdates": False}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"

    def request(self, method: str, path: str, body: object = None, timeout: float = 30):
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(
            f"{self.base}{path}", data=data, method=method,
            headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as response:
            text = response.read().decode("utf-8")
        return json.loads(text) if text else None

    def get(self, path: str):
        return self.request("GET", path)


def _run_cell(ws, session: str, code: str, timeout: float = 120) -> tuple[dict, list[dict]]:
    """Execute ``code`` over the kernel websocket; the execute_reply and the error outputs."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session,
                   "username": "test", "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }))
    deadline = time.monotonic() + timeout
    reply, errors, idle = None, [], False
    while time.monotonic() < deadline and not (reply and idle):
        ws.settimeout(max(0.1, deadline - time.monotonic()))
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["header"]["msg_type"]
        if kind == "execute_reply":
            reply = msg["content"]
        elif kind == "error":
            errors.append(msg["content"])
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            idle = True
    assert reply is not None, f"no reply within {timeout} s to:\n{code}"
    return reply, errors


@pytest.mark.slow
def test_lab_serves_the_project_in_russian_and_runs_the_explore_notebook(tmp_path):
    """`sferum lab` opens at the project with Russian locale and no news; the exploration
    notebook runs cell by cell in a kernel of that server; GET + PUT of a notebook leaves
    the .ipynb and its paired .py byte-identical."""
    import websocket

    from sferum_analysis.run_config import RunConfig
    from sferum_analysis.steps import clean_step, metrics_step

    # A processed tiny week for the notebook (the project's own data/ is not touched).
    data = tmp_path / "data"
    write_region(data)
    write_week(data, "2024-01-29", active=1)
    clean_step("2024-01-29", RunConfig(), data, progress=None)
    metrics_step("2024-01-29", RunConfig(), data / "processed" / "2024-01-29",
                 tmp_path / "reports" / "2024-01-29", data_dir=data)

    port = _free_port()
    home = tmp_path / "home"  # the user's own Jupyter settings stay out of the test
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "user-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "IPYTHONDIR": str(home / "ipython")}
    env.pop("JUPYTER_TOKEN", None)
    tracked = [PROJECT_DIR / NOTEBOOK, (PROJECT_DIR / NOTEBOOK).with_suffix(".py")]
    before = {p: p.read_bytes() for p in tracked}
    mtimes = {p: p.stat().st_mtime_ns for p in tracked}
    stderr_file = (tmp_path / "lab.log").open("w+", encoding="utf-8")
    lab = subprocess.Popen(
        [sys.executable, "-m", "sferum_analysis.cli", "lab", "--no-browser",
         "--port", str(port), f"--ServerApp.token={TOKEN}"],
        env=env, stdout=subprocess.DEVNULL, stderr=stderr_file, text=True)
    client = Lab(port)
    ws = None
    try:
        deadline, listing = time.monotonic() + 90, None
        while time.monotonic() < deadline and lab.poll() is None:
            try:
                listing = client.get("/api/contents")
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, f"JupyterLab did not answer (exit {lab.poll()})"

        # The root is the project, not notebooks/.
        names = {item["name"] for item in listing["content"]}
        assert {"notebooks", "sferum_analysis", "pyproject.toml"} <= names
        inside = {item["name"] for item in client.get("/api/contents/notebooks")["content"]}
        assert {"01_clean.ipynb", "10_explore.ipynb"} <= inside

        # Russian by default (the language pack is installed), no news, no update check.
        assert "ru_RU" in client.get("/lab/api/translations/")["data"]
        translation = client.get("/lab/api/settings/@jupyterlab/translation-extension:plugin")
        assert translation["schema"]["properties"]["locale"]["default"] == "ru_RU"
        assert translation["settings"].get("locale", "ru_RU") == "ru_RU"
        news = client.get("/lab/api/settings/@jupyterlab/apputils-extension:notification")
        assert news["schema"]["properties"]["fetchNews"]["default"] == "false"
        assert news["schema"]["properties"]["checkForUpdates"]["default"] is False
        assert news["settings"].get("fetchNews", "false") == "false"

        # Open the notebook through the contents API (jupytext's contents manager).
        model = client.get(f"/api/contents/{NOTEBOOK}?content=1&type=notebook")
        assert model["type"] == "notebook"
        cells = model["content"]["cells"]
        code = [c["source"] for c in cells if c["cell_type"] == "code"]
        params = [i for i, c in enumerate(c for c in cells if c["cell_type"] == "code")
                  if "parameters" in c["metadata"].get("tags", [])]
        assert params == [0]

        # Run its code cells one by one in a kernel of this server, parameters injected
        # after the parameters cell as papermill does.
        kernel = client.request("POST", "/api/kernels", {"name": "python3",
                                                         "path": "notebooks"})
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}/api/kernels/{kernel['id']}/channels?token={TOKEN}",
            timeout=30)
        session = uuid.uuid4().hex
        injected = (f"week_name = '2024-01-29'\ndata_dir = {str(data)!r}\n"
                    "mo = 'г. Орёл'\norg_type = 'ДОО'\n")
        for i, source in enumerate([code[0], injected, *code[1:]]):
            reply, errors = _run_cell(ws, session, source)
            assert reply["status"] == "ok" and not errors, (
                f"cell {i} failed: {errors or reply}\n{source}")

        # Saved unchanged: the .ipynb and the paired .py stay byte-identical.
        client.request("PUT", f"/api/contents/{NOTEBOOK}",
                       {"type": "notebook", "format": "json", "content": model["content"]})
        assert all(p.stat().st_mtime_ns != mtimes[p] for p in tracked)  # both were written
        after = {p: p.read_bytes() for p in tracked}
        changed = [p.name for p in tracked if after[p] != before[p]]
        assert not changed, f"a save without changes rewrote {changed}"
    finally:
        if ws is not None:
            ws.close()
        try:  # kernels first, then the server
            for running in client.get("/api/kernels"):
                client.request("DELETE", f"/api/kernels/{running['id']}")
        except OSError:
            pass
        for path, content in before.items():  # never leave the working tree changed
            if path.read_bytes() != content:
                path.write_bytes(content)
        lab.terminate()
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            lab.kill()
            lab.wait(timeout=30)
        stderr_file.seek(0)
        log = stderr_file.read()
        stderr_file.close()
    assert f"запуск JupyterLab в {PROJECT_DIR}" in log
    assert Path(NOTEBOOKS_DIR / "10_explore.ipynb").read_bytes() == before[tracked[0]]
