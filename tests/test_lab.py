"""`make lab` as a reader uses it: it prints an address; a chapter opened there in a
real browser runs top to bottom, draws its Mermaid diagrams and has live widgets.

Like the site test, every request to a non-local host is refused.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
from browser import chromium, refuse_non_local

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.site

# JupyterLab keeps earlier notebooks open in hidden tabs: look only at the visible one.
ACTIVE = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_lab(settings: Path, *make_args: str) -> Iterator[str]:
    """Run ``make lab`` (with ``make_args``) on a free port; yield its address."""
    port = free_port()
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTER_RUNTIME_DIR": str(settings / "runtime"),
    }
    lab = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_PORT={port}", *make_args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    address, seen, deadline = None, [], time.monotonic() + 120
    pattern = re.compile(rf"(http://127\.0\.0\.1:{port}/lab\S*\?token=\w+)")
    while address is None and time.monotonic() < deadline and lab.poll() is None:
        line = lab.stdout.readline()
        seen.append(line)
        match = pattern.search(line)
        address = match.group(1) if match else None
    try:
        if address is None:
            pytest.fail(
                "make lab printed no address on 127.0.0.1:\n" + "".join(seen[-30:])
            )
        _wait_until_listening(lab, port, seen)
        yield address
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)


def _wait_until_listening(lab: subprocess.Popen, port: int, seen: list[str]) -> None:
    """Wait until the server accepts connections on ``port``: on a busy machine the
    address can be printed a moment before; fail with its output if it exits."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if lab.poll() is not None:
            pytest.fail(
                f"make lab exited (status {lab.returncode}) after printing its "
                "address:\n" + "".join(seen[-30:]) + lab.stdout.read()[-3000:]
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"make lab printed its address but port {port} refused for 60 s")


@pytest.fixture(scope="module")
def lab_address(tmp_path_factory):
    settings = tmp_path_factory.mktemp("lab-settings")
    # Render every cell, not only those scrolled into view, so the test can count
    # diagrams.
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    # Start the notebook's own (preferred) kernel without asking: otherwise a page
    # opened before the kernel list has loaded shows a modal "Select Kernel" dialog,
    # seen in CI again and again even after it was answered, blocking every click on
    # the menu bar.
    (tracker / "tracker.jupyterlab-settings").write_text(
        '{"windowingMode": "none", "autoStartDefaultKernel": true}'
    )
    # Never save: running the notebooks must not write outputs into the repository's
    # files.
    docmanager = settings / "@jupyterlab" / "docmanager-extension"
    docmanager.mkdir(parents=True)
    (docmanager / "plugin.jupyterlab-settings").write_text('{"autosave": false}')
    with running_lab(settings) as address:
        yield address


@pytest.fixture(scope="module")
def page():
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        tab = context.new_page()
        tab.blocked = []
        refuse_non_local(context, tab.blocked)
        yield tab


def all_prompts_numbered(code_cells: int) -> str:
    """JavaScript: true once each code cell of the visible notebook whose code is shown
    shows its execution count. Collapsed cells (the solutions: their code is hidden, so
    JupyterLab shows a one-line placeholder, no prompt) and empty cells don't count."""
    return f"""() => {{
        const shown = [...document.querySelectorAll('{ACTIVE} .jp-CodeCell')].filter(
            c => !c.querySelector('.jp-InputPlaceholder') &&
                (c.querySelector('.cm-content')?.textContent || '').trim());
        const prompts = shown.map(c => c.querySelector('.jp-InputPrompt').textContent);
        return prompts.length === {code_cells} &&
            prompts.every(t => /\\[\\d+\\]/.test(t));
    }}"""


def server_and_token(lab_address: str) -> tuple[str, str]:
    """``http://host:port/lab/tree/x?token=T`` → (``http://host:port``, ``token=T``)."""
    base, _, token = lab_address.partition("?")
    return base.split("/lab")[0], token


def start_kernel(lab_address: str, notebook: str) -> None:
    """Start the notebook's kernel with the server's REST API before the page opens it.

    JupyterLab then attaches to this running session. Left to itself, a page opened on a
    cold machine may ask before the kernel list has loaded, and shows a modal "Select
    Kernel" dialog although the notebook names ``python3`` (seen in CI, where it blocked
    every click on the menu bar).
    """
    root, token = server_and_token(lab_address)
    kernel = nbformat.read(ROOT / notebook, as_version=4).metadata.kernelspec.name
    body = json.dumps(
        {
            "path": notebook,
            "name": Path(notebook).name,
            "type": "notebook",
            "kernel": {"name": kernel},
        }
    )
    request = urllib.request.Request(
        f"{root}/api/sessions?{token}",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as reply:
        assert reply.status in (200, 201), (
            f"could not start a {kernel} kernel for {notebook}: HTTP {reply.status}"
        )


def dismiss_dialogs(page) -> list[str]:
    """Answer any modal JupyterLab dialog in the way and wait until it has gone; return
    their texts so a failure can show them. A kernel choice is answered with Python."""
    texts = []
    dialogs = page.locator(".jp-Dialog")
    deadline = time.monotonic() + 60
    while dialogs.count() and time.monotonic() < deadline:
        dialog = (
            dialogs.first.element_handle()
        )  # this dialog, not whichever is first later
        texts.append(dialog.inner_text()[:300])
        choice = dialog.query_selector("select")
        if choice:
            python = [
                o.inner_text()
                for o in choice.query_selector_all("option")
                if o.inner_text().startswith("Python 3")
            ]
            if python:
                choice.select_option(label=python[0])
        accept = dialog.query_selector(".jp-mod-accept")
        if accept:
            accept.click()
        else:
            page.keyboard.press("Escape")
        dialog.wait_for_element_state("hidden", timeout=10_000)
        page.wait_for_timeout(500)  # a dialog answered may be followed by another one
    if texts:
        print(f"JupyterLab dialogs answered: {texts}")
    return texts


def run_all_cells(page) -> None:
    dismiss_dialogs(page)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def open_and_run_all(
    page, lab_address: str, notebook: str, timeout_s: int = 240
) -> int:
    """Open a notebook in JupyterLab, run all its cells and wait for them.

    Returns the number of code cells.
    """
    root, token = server_and_token(lab_address)
    # ?reset: a fresh workspace with only this notebook open. Otherwise JupyterLab
    # restores notebooks from earlier sessions, and "Run All Cells" may act on one of
    # those.
    start_kernel(lab_address, notebook)
    page.goto(f"{root}/lab/tree/{notebook}?reset&{token}")
    page.wait_for_selector(f"{ACTIVE} .jp-Notebook .jp-Cell", timeout=60_000)
    # This notebook's own kernel must be up before "Run All Cells" does anything (the
    # status bar may still show the kernel of a notebook restored from an earlier
    # session).
    page.wait_for_selector(
        f'{ACTIVE} .jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=90_000
    )
    code_cells = sum(  # those whose code JupyterLab shows (see all_prompts_numbered)
        c.cell_type == "code"
        and c.source.strip()
        and not c.metadata.get("jupyter", {}).get("source_hidden")
        for c in nbformat.read(ROOT / notebook, as_version=4).cells
    )
    # Seen now and then on a busy machine: "Run All Cells" runs the first cell and
    # leaves the others unrun, with the kernel idle. Running a cell twice is harmless in
    # these notebooks, so while the kernel is idle and cells are left, ask again.
    deadline = time.monotonic() + timeout_s
    clicks = 0
    while not page.evaluate(all_prompts_numbered(code_cells)):
        kernel_idle = (
            page.locator(
                f'{ACTIVE} .jp-Notebook-ExecutionIndicator[data-status="idle"]'
            ).count()
            == 1
        )
        if time.monotonic() > deadline or clicks > 5:
            shot = Path(tempfile.gettempdir()) / f"lab-{Path(notebook).stem}.png"
            page.screenshot(path=str(shot))
            prompts = page.eval_on_selector_all(
                f"{ACTIVE} .jp-CodeCell .jp-InputPrompt",
                "ps => ps.map(p => p.textContent)",
            )
            raise AssertionError(
                f"{notebook}: not every cell ran within {timeout_s} s "
                f"({clicks} x Run All); "
                f"prompts {prompts}; screenshot {shot}"
            )
        if kernel_idle:
            run_all_cells(page)
            clicks += 1
            # let the kernel pick the cells up before looking again
            page.wait_for_timeout(5_000)
        page.wait_for_timeout(1_000)
    errors = page.locator(f'{ACTIVE} [data-mime-type="application/vnd.jupyter.error"]')
    assert errors.count() == 0, (
        f"{notebook}: a cell failed in JupyterLab: {errors.first.inner_text()[:2000]}"
    )
    return code_cells


@pytest.fixture(scope="module", autouse=True)
def notebooks_stay_unchanged():
    """The lab tests run the real notebooks: they must leave them as they were."""
    before = {p: p.read_bytes() for p in (ROOT / "chapters").glob("*.ipynb")}
    yield
    changed = [p.name for p, content in before.items() if p.read_bytes() != content]
    for p in changed:  # put them back, then fail
        p.write_bytes(before[p])
    assert not changed, f"JupyterLab wrote to {changed}"


def test_make_lab_prints_a_local_address(lab_address):
    assert lab_address.startswith("http://127.0.0.1:")


def test_appendix_runs_in_jupyterlab_and_its_diagrams_are_drawn(page, lab_address):
    open_and_run_all(page, lab_address, "chapters/appendix_diagrams.ipynb")
    from helpers import diagrams

    expected = len(
        diagrams.notebook_diagrams(
            nbformat.read(ROOT / "chapters/appendix_diagrams.ipynb", as_version=4)
        )
    )
    drawn = (
        f"{ACTIVE} .jp-RenderedMermaid figure svg, "
        f"{ACTIVE} .jp-RenderedMermaid figure img"
    )
    page.wait_for_function(
        f"document.querySelectorAll('{drawn}').length >= {expected}", timeout=60_000
    )
    assert page.blocked == [], f"JupyterLab fetched from the internet: {page.blocked}"


def test_chapter_one_runs_in_jupyterlab_and_its_widgets_are_live(page, lab_address):
    open_and_run_all(page, lab_address, "chapters/01_overview.ipynb")
    figures = page.locator(f"{ACTIVE} .jp-RenderedImage img").count()
    assert figures >= 1, (
        "chapter 1 drew no figure in JupyterLab (is MPLBACKEND set for the kernel?)"
    )
    dropdown = page.locator(f"{ACTIVE} .jupyter-widgets select").first
    dropdown.wait_for(timeout=30_000)
    output = page.locator(f"{ACTIVE} .widget-output").last
    before = output.inner_text()
    options = dropdown.locator("option").all_inner_texts()
    current = dropdown.input_value()
    dropdown.select_option(label=next(o for o in options if o != current))
    page.wait_for_function(
        "(before) => { const outs = "
        f"document.querySelectorAll('{ACTIVE} .widget-output');"
        " return outs.length && outs[outs.length - 1].innerText !== before; }",
        arg=before,
        timeout=30_000,
    )
    assert page.blocked == [], f"JupyterLab fetched from the internet: {page.blocked}"


def test_make_lab_zh_shows_jupyterlab_in_chinese_with_the_chinese_notebooks(
    page, tmp_path
):
    """``make lab-zh``: JupyterLab's menus in Chinese (its language pack) and the file
    browser in ``zh/chapters``; a reader's own language setting is left alone."""
    with running_lab(tmp_path, "LAB_LANGUAGE=zh") as address:
        assert "/lab/tree/zh/chapters" in address, address  # where make lab-zh opens
        page.goto(f"{address}&reset")
        menus = page.locator(".lm-MenuBar-itemLabel")
        menus.first.wait_for(timeout=60_000)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.lm-MenuBar-itemLabel')]"
            ".some(m => m.textContent === '文件')",
            timeout=30_000,
        )
        labels = menus.all_inner_texts()
        assert "文件" in labels and "运行" in labels, labels
        listing = page.locator(".jp-DirListing-itemText")
        listing.first.wait_for(timeout=30_000)
        names = listing.all_inner_texts()
        assert "01_overview.ipynb" in names, names
        assert "zh" in page.locator(".jp-BreadCrumbs").inner_text()
    assert not list(tmp_path.rglob("*.jupyterlab-settings")) or all(
        "zh_CN" not in f.read_text() for f in tmp_path.rglob("*.jupyterlab-settings")
    ), "make lab-zh wrote the language into the reader's settings"
    assert page.blocked == [], f"JupyterLab fetched from the internet: {page.blocked}"
