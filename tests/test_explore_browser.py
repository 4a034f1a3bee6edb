"""End to end in a real headless browser (Debian's chromium driven by Playwright): train a width-2 and a width-3
MLP on circles, see the boundary change, read the critical points off the page, and reload the state from
the URL. Screenshots go to pytest's tmp_path; set MORSENET_README_SCREENSHOT=docs/explore.png to also write
the README's picture.

`.ci/run` installs chromium when it is missing, so this test runs in CI; it is skipped only on a machine
without a `chromium` executable.
"""

import os
import shutil
import time

import pytest

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")

READ_FORM = """() => Object.fromEntries([...document.querySelector('#controls').elements]
    .filter((e) => e.name).map((e) => [e.name, e.type === 'checkbox' ? String(e.checked) : e.value]))"""


@pytest.fixture(scope="module")
def server():
    from morsenet.explore import start_background

    srv = start_background()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless=new"])
        yield b
        b.close()


def _attr(page, selector, name):
    return page.get_attribute(selector, name)


def _wait(page, js, arg=None, timeout=60_000):
    page.wait_for_function(js, arg=arg, timeout=timeout)


def _picture(page):
    return page.evaluate("document.querySelector('#boundary').toDataURL()")


def _train_for(page, seconds):
    page.click("#play")
    _wait(page, "() => document.querySelector('#status').dataset.status === 'running'")
    time.sleep(seconds)
    page.click("#pause")
    _wait(page, "() => document.querySelector('#status').dataset.status === 'paused'")


def _analysis_caught_up(page):
    """Wait until the critical points shown were computed for the weights shown (training paused)."""
    _wait(
        page,
        """() => { const b = document.querySelector('#boundary').dataset, c = document.querySelector('#critical-points').dataset;
                   return c.generation === b.generation && c.version === b.version; }""",
    )


def test_width2_has_no_critical_point_width3_has_one_and_the_url_round_trips(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1150})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.url + "?m.widths=2,2,2,2,1&m.batchnorm=true&t.epochs=100000&t.lr=0.02")
    _wait(page, "() => document.body.dataset.ready === 'true'")
    _wait(page, "() => Number(document.querySelector('#boundary').dataset.version) >= 0")
    assert page.input_value("#f-m-widths") == "2,2,2,2,1"
    before = _picture(page)

    # width 2: a few seconds of training; whatever the weights, T1 allows no critical point
    _train_for(page, 3)
    _analysis_caught_up(page)
    assert int(_attr(page, "#status", "data-epoch")) >= 1
    assert _picture(page) != before, "the boundary picture did not change while training"
    assert _attr(page, "#critical-points", "data-count") == "0"
    assert _attr(page, "#theory", "data-theory-class") == "none"
    assert _attr(page, "#tunnel", "data-status") in ("tunnel", "no_inner_region")
    page.screenshot(path=str(tmp_path / "width2.png"))

    # the layer slider: the min singular value of x -> h_2 of the three hidden layers, a view-only change
    kept = _attr(page, "#boundary", "data-generation")
    page.select_option("#f-map", "min_sv")
    _wait(page, "() => document.querySelector('#second-label').textContent.includes('(layer 3 of 3)')")
    assert _attr(page, "#f-layer", "max") == "3"
    page.evaluate(
        """() => { const s = document.querySelector('#f-layer'); s.value = '2';
                   s.dispatchEvent(new Event('change', { bubbles: true })); }"""
    )
    _wait(page, "() => document.querySelector('#second-label').textContent.includes('(layer 2 of 3)')")
    assert "v.layer=2" in page.url and page.text_content("#f-layer-value") == "2"
    assert _attr(page, "#boundary", "data-generation") == kept  # the same trained model, only the view changed

    # width 3: change the widths in the form; train until the analysis shows a critical point (time limit 90 s)
    generation = int(_attr(page, "#boundary", "data-generation"))
    page.fill("#f-m-widths", "2,3,3,1")
    page.press("#f-m-widths", "Tab")
    _wait(page, "(g) => Number(document.querySelector('#boundary').dataset.generation) > g", generation)
    assert "m.widths=2,3,3,1" in page.url
    before = _picture(page)
    page.click("#play")
    _wait(
        page,
        """(g) => { const c = document.querySelector('#critical-points').dataset;
                    return Number(c.generation) > g && Number(c.count) >= 1; }""",
        generation,
        timeout=90_000,
    )
    page.click("#pause")
    _wait(page, "() => document.querySelector('#status').dataset.status === 'paused'")
    assert _picture(page) != before
    kinds = page.eval_on_selector_all("#critical-points li", "els => els.map((e) => e.dataset.kind)")
    assert kinds and set(kinds) <= {"minimum", "maximum", "saddle", "degenerate"}
    assert _attr(page, "#theory", "data-theory-class") == "morse_generic"
    assert float(_attr(page, "#rate", "data-rate")) > 0
    page.screenshot(path=str(tmp_path / "width3.png"))
    readme = os.environ.get("MORSENET_README_SCREENSHOT")
    if readme:
        page.screenshot(path=readme)

    # the URL holds the whole state: a new tab from it shows the same settings in a session of its own
    url, form = page.url, page.evaluate(READ_FORM)
    other = browser.new_page(viewport={"width": 1400, "height": 1150})
    other.goto(url)
    _wait(other, "() => document.body.dataset.ready === 'true'")
    assert other.url == url
    assert other.evaluate(READ_FORM) == form
    assert other.evaluate("document.body.dataset.query") == page.evaluate("document.body.dataset.query")
    assert other.evaluate("document.body.dataset.session") != page.evaluate("document.body.dataset.session")
    _wait(other, "() => document.querySelector('#status').dataset.status === 'idle'")
    other.screenshot(path=str(tmp_path / "round_trip.png"))
    assert not errors, errors
    other.close()
    page.close()


def test_bad_input_shows_an_inline_message(server, browser):
    page = browser.new_page()
    page.goto(server.url + "?t.lr=-1")  # a bad shared link: the message, then the defaults
    _wait(page, "() => document.body.dataset.ready === 'true'")
    assert "train.lr must be" in page.text_content("#error")
    assert page.input_value("#f-t-lr") == "0.01"
    page.fill("#f-m-widths", "2,0,1")
    page.press("#f-m-widths", "Tab")
    _wait(page, "() => document.querySelector('#error').textContent.includes('widths')")
    assert page.is_visible("#error")
    assert "invalid" in (page.get_attribute("#f-m-widths", "class") or "")
    page.close()
