"""The playground, /docs and /redoc in a real browser: Playwright driving Debian's Chromium
against a live server, with every request outside 127.0.0.1 refused (so nothing may come
from a CDN). Screenshots go to ``$AUTOGRAD_TEST_ARTIFACTS/browser`` (default
``test-artifacts/browser``).

Needs ``apt-get install chromium`` and the ``browser`` extra (``playwright``); never
``playwright install``. Without them these tests skip, unless ``AUTOGRAD_BROWSER_TESTS=required``
(as CI sets it), where a missing browser is a failure.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from tests.live_server import ROOT, live_server

REQUIRED = os.environ.get("AUTOGRAD_BROWSER_TESTS") == "required"
CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
                 if Path(p).exists()), None) or shutil.which("chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("AUTOGRAD_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "browser"


def _missing(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"browser tests are required here but {reason}")
    pytest.skip(reason)


try:
    from playwright.sync_api import Page, expect, sync_playwright
    expect.set_options(timeout=30_000)  # two busy cores in CI: Redoc alone takes seconds
except ImportError:  # pragma: no cover - the browser extra is not installed
    sync_playwright = None


@pytest.fixture(scope="module")
def server():
    with live_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if sync_playwright is None:
        _missing("playwright is not installed (pip install -e '.[browser]')")
    if CHROMIUM is None:
        _missing("no Chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server, request):
    context = browser.new_context(base_url=server, viewport={"width": 1400, "height": 1000})
    outside: list[str] = []

    def only_local(route):
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(30_000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert outside == [], f"requests outside 127.0.0.1: {outside}"
    assert errors == [], f"JavaScript errors: {errors}"


def open_playground(page: Page) -> None:
    page.goto("/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#session")).to_contain_text("session s_")


def cell(page: Page, n: int):
    return page.locator(".cell").nth(n)


def test_a_cell_runs_with_shift_enter_and_shows_its_repr(page):
    open_playground(page)
    editor = cell(page, 0).locator("textarea")
    editor.fill("x = torch.arange(4.0, requires_grad=True)\nprint(x.shape)\nx")
    editor.press("Shift+Enter")
    expect(cell(page, 0).locator(".repr")).to_have_text(
        "tensor([0., 1., 2., 3.], requires_grad=True)")
    expect(cell(page, 0).locator(".printed")).to_have_text("torch.Size([4])")
    expect(cell(page, 0).locator(".prompt")).to_have_text("In [1]:")
    expect(page.locator(".cell")).to_have_count(2)  # Shift+Enter moved on to a new cell
    row = page.locator('#variables tr[data-name="x"]')
    expect(row).to_contain_text("float32[4]")
    expect(row).to_contain_text("True")


def test_the_chapter_from_the_examples_menu_with_its_graph(page):
    open_playground(page)
    page.select_option("#examples", "chapter")
    expect(page.locator(".cell")).to_have_count(13)
    page.click("#run-all")
    expect(page.locator(".cell.ok")).to_have_count(13, timeout=60_000)
    reprs = {n: cell(page, n).locator(".repr") for n in (1, 3, 5, 6, 7, 8, 9, 12)}
    expect(reprs[1]).to_have_text("tensor([0., 1., 2., 3.], requires_grad=True)")
    expect(reprs[3]).to_have_text("tensor(28., grad_fn=<MulBackward0>)")
    expect(reprs[5]).to_have_text("tensor([ 0.,  4.,  8., 12.])")
    for n in (6, 8, 9):
        expect(reprs[n]).to_have_text("tensor([True, True, True, True])")
    expect(reprs[7]).to_have_text("tensor([1., 1., 1., 1.])")
    expect(reprs[12]).to_have_text("tensor([True])")
    expect(cell(page, 2).locator(".output")).to_be_empty()  # x.grad is None: no Out
    # the graph of z = u * x: MulBackward0 down to the leaf x, which holds a .grad
    page.locator('#variables tr[data-name="z"] button').click()
    svg = page.locator("#graph svg")
    expect(svg).to_be_visible()
    expect(svg).to_contain_text("MulBackward0")
    expect(svg.locator("g.node")).to_have_count(2)
    expect(svg).to_contain_text("grad = tensor([0., 2., 4., 6.])")
    expect(page.locator('#variables tr[data-name="a"] .grad')).not_to_be_empty()


def test_sin_and_its_autograd_derivative_cos(page):
    open_playground(page)
    page.select_option("#examples", "ex5")
    expect(page.locator("#plot canvas")).to_be_visible()
    expect(page.locator("#plot .u-legend")).to_contain_text("df/dx (autograd)")
    plot = page.evaluate("window.playground.lastPlot")
    assert plot["kind"] == "function" and len(plot["xs"]) == 200
    assert max(abs(y - math.sin(x)) for x, y in zip(plot["xs"], plot["lines"]["f"])) < 1e-6
    assert max(abs(g - math.cos(x)) for x, g in zip(plot["xs"], plot["lines"]["dfdx"])) < 1e-6
    page.click("#run-all")
    expect(cell(page, 1).locator(".repr")).to_have_text("tensor(True)")


def test_a_training_loop_draws_its_loss_curve(page):
    open_playground(page)
    page.select_option("#examples", "train")
    expect(page.locator(".cell")).to_have_count(2)
    page.click("#run-all")
    expect(page.locator(".cell.ok")).to_have_count(2, timeout=60_000)
    expect(cell(page, 1).locator(".printed")).to_contain_text("w = tensor([")
    expect(page.locator("#plot .u-legend")).to_contain_text("loss")
    losses = page.evaluate("window.playground.lastPlot.lines.loss")
    assert len(losses) == 50 and losses[-1] < losses[0] / 100


def test_an_error_marks_the_failing_line(page):
    open_playground(page)
    editor = cell(page, 0).locator("textarea")
    editor.fill("a = torch.ones(2)\nb = torch.ones(3)\nc = a @ b\nc")
    editor.press("Control+Enter")
    error = cell(page, 0).locator(".error")
    expect(error).to_contain_text("program_error")
    expect(error).to_contain_text("RuntimeError")
    failing = error.locator(".failing")
    expect(failing).to_have_attribute("data-line", "3")
    expect(failing).to_contain_text("c = a @ b")
    expect(cell(page, 0)).to_have_class("cell failed")
    # the session kept what ran before the failing line
    expect(page.locator('#variables tr[data-name="b"]')).to_be_visible()


def test_a_share_link_carries_the_cells(page, browser, server):
    open_playground(page)
    page.locator(".cell textarea").first.fill("y = torch.tensor([1.5, -2.0]) * 2\ny")
    page.click("#add-cell")
    page.locator(".cell textarea").nth(1).fill("# ünïcode & symbols: ∂y/∂x\ny.sum()")
    page.click("#share")
    expect(page.locator("#share-url")).to_have_value(re.compile(re.escape(server) + "/#z=.+"))
    url = page.locator("#share-url").input_value()
    assert page.evaluate("location.hash") == url[url.index("#"):]
    other = page.context.new_page()
    other.goto(url)
    expect(other.locator("body")).to_have_attribute("data-ready", "true")
    texts = other.locator(".cell textarea").evaluate_all("els => els.map(e => e.value)")
    assert texts == ["y = torch.tensor([1.5, -2.0]) * 2\ny",
                     "# ünïcode & symbols: ∂y/∂x\ny.sum()"]
    other.close()


def test_docs_load_without_a_cdn(page):
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("autograd-service")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "docs-swagger.png"))


def test_redoc_loads_without_a_cdn(page, server):
    """Redoc shows every operation with its request examples, and the JSON form node by node.
    (Expanding the recursive program schema crashed its tab: app/api/json_form_doc.py.)"""
    spec = httpx.get(f"{server}/openapi.json").json()
    sections = [f"tag/{operation['tags'][0]}/operation/{operation['operationId']}"
                for path in spec["paths"].values() for operation in path.values()]
    page.goto("/redoc")
    expect(page.locator("h1").first).to_contain_text("autograd-service")
    for section in sections:
        expect(page.locator(f"[id='{section}']")).to_have_count(1)
    run = page.locator("[id='tag/runs/operation/run_v1_sessions__session_id__run_post']")
    expect(run).to_contain_text("/v1/sessions/{session_id}/run")
    expect(run).to_contain_text("x = torch.arange(4.0, requires_grad=True)")  # an example
    expect(page.locator("[id='tag/json-form']")).to_contain_text("A statement (Stmt) is one of")
    expect(page.locator("[id='schema/Assign']")).to_contain_text("assign")
    page.screenshot(path=str(ARTIFACTS / "docs-redoc.png"))
