"""The auditor console in a real browser: headless Chromium (Debian's ``chromium`` package) driven
by Playwright. Logs in with a token, filters, opens a decision, exports, and checks that every page
renders without console errors. Screenshots are kept under the test's temporary directory."""

from __future__ import annotations

import csv
import io
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn

from bot.app.auditweb import create_audit_app
from bot.audit import DecisionStore
from bot.audit.access import AccessStore
from bot.testing.auditlog import T0, decision, exceptions_log, feedback, finding, sha

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is missing: install Debian's package "
                       "(apt-get install -y chromium); .ci/run does this"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, DecisionStore]]:
    tmp = tmp_path_factory.mktemp("console")
    url = f"sqlite:///{tmp / 'log.sqlite3'}"
    decisions, access = DecisionStore(url), AccessStore(url)
    records, _ = exceptions_log()
    for r in records:
        decisions.append(r)
    for week in range(1, 5):  # a few weeks of history so the plots have lines
        for i in range(week + 2):
            pr = 100 + week * 10 + i
            action = "approve" if i % 2 == 0 else ("comment" if i % 3 else "needs_human")
            decisions.append(decision("acme/widgets", pr, sha(f"w{pr}"), action, at=T0 + timedelta(weeks=week, hours=i),
                                      author="bob" if i % 2 else "alice", total_ms=400.0 + 90 * i,
                                      findings=[finding("paths/wide-reach", line=i + 1)] if action != "approve" else []))
    decisions.append(feedback("acme/widgets", 4, "paths/wide-reach", "down", "carol", at=T0 + timedelta(days=1)))
    decisions.append(feedback("acme/widgets", 4, "paths/wide-reach", "up", "dave", at=T0 + timedelta(days=1)))
    token = access.create("browser-test")
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_audit_app(decisions, access), host="127.0.0.1", port=port,
                                        log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "console server did not start within 20 s"
    yield f"http://127.0.0.1:{port}", token, decisions
    srv.should_exit = True
    thread.join(10)
    decisions.close()
    access.close()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1360, "height": 1000})
        context.set_default_timeout(15_000)
        pg = context.new_page()
        pg.errors = []  # type: ignore[attr-defined]
        pg.on("console", lambda m: pg.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        pg.on("pageerror", lambda e: pg.errors.append(f"page error: {e}"))
        downloads: list[str] = []
        pg.on("download", lambda d: downloads.append(d.url))
        failed: list[str] = []
        pg.on("requestfailed", lambda r: failed.append(r.url))
        yield pg
        # A link that downloads a file ends its navigation as "aborted": only other failures count.
        assert [u for u in failed if u not in downloads] == []
        context.close()
        browser.close()


def shot(page: object, tmp_path: Path, name: str) -> None:
    folder = tmp_path / "screenshots"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
    assert (folder / f"{name}.png").stat().st_size > 5_000


def login(page: object, base: str, token: str) -> None:
    page.goto(f"{base}/console/")  # type: ignore[attr-defined]
    assert "/console/login" in page.url  # type: ignore[attr-defined]
    page.fill("#token", token)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/console/")  # type: ignore[attr-defined]


def test_login_filter_open_export_without_console_errors(server: tuple[str, str, DecisionStore], page: object,
                                                          tmp_path: Path) -> None:
    base, token, store = server
    page.goto(f"{base}/console/login")
    page.fill("#token", "qa_not-a-token")
    page.click("button[type=submit]")
    assert "unknown token" in page.inner_text("main")
    page.errors.clear()  # the refused login answers 401, which Chromium reports as a console error

    login(page, base, token)
    assert page.locator(".chart canvas").count() >= 3, "uPlot did not draw the three time series"
    assert "browser-test" in page.inner_text("header")
    assert "findings.hold_rules" in page.inner_text("main")
    shot(page, tmp_path, "overview")

    page.click("nav >> text=Decisions")
    page.select_option("select[name=action]", "comment")
    page.fill("input[name=rule_id]", "paths/wide-reach")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/console/decisions?*")
    rows = page.locator("#decisions tbody tr")
    assert rows.count() >= 3
    assert all(t == "comment" for t in page.locator("#decisions tbody .action").all_inner_texts())
    shot(page, tmp_path, "decisions")

    with page.expect_download() as info:
        page.click("#export-csv")
    exported = Path(info.value.path()).read_bytes().decode("utf-8")
    expected = io.StringIO(newline="")
    store.export("csv", expected, action="comment", kind="decision")
    assert exported == expected.getvalue()
    assert list(csv.reader(io.StringIO(exported)))[0][:3] == ["seq", "created_at", "kind"]

    page.goto(f"{base}/console/decisions?pr=4")
    page.click("#decisions a.open")
    page.wait_for_url("**/console/decisions/*")
    text = page.inner_text("main")
    assert "Policy result tree" in text and "findings.hold_rules" in text
    assert page.locator("ol.trace li").count() == 2 and "src/main.py:30 app.main" in text
    assert "rita" in text and "maria" in text  # the merge: approved by rita, merged by maria
    shot(page, tmp_path, "decision")

    page.click("nav >> text=Exceptions")
    assert page.locator("#exceptions tbody tr").count() == 6
    with page.expect_download() as info:
        page.click("#exceptions-csv")
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_bytes().decode("utf-8"))))
    assert [(r["exception"], r["pr_number"]) for r in rows] == [(k, str(n)) for k, n in exceptions_log()[1]]
    shot(page, tmp_path, "exceptions")

    for name, marker in (("merges", "#merges"), ("rules", "#rules"), ("verify", "#verify-summary")):
        page.click(f"nav >> text={name.capitalize()}")
        assert page.locator(marker).count() == 1
        shot(page, tmp_path, name)
    assert "chain intact" in page.inner_text("#verify-summary")
    assert page.errors == []  # every page rendered without a console error

    page.click("text=log out")
    page.goto(f"{base}/console/decisions")
    assert "/console/login" in page.url


def test_tables_work_without_javascript(server: tuple[str, str, DecisionStore], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    base, token, _ = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(java_script_enabled=False)
        pg = context.new_page()
        login(pg, base, token)
        assert pg.locator("table.weekly tbody tr").count() >= 4
        pg.goto(f"{base}/console/decisions?action=approve")
        assert pg.locator("#decisions tbody tr").count() >= 3
        shot(pg, tmp_path, "decisions-no-js")
        context.close()
        browser.close()
