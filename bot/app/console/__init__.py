"""The auditor's web console, mounted at ``/console``: server-rendered Jinja2 pages over the same
queries as the API. Tables need no JavaScript; the overview's time-series plots use the vendored
uPlot (``static/vendor/uplot-1.6.32``, no CDN, works air-gapped).

Login: ``/console/login`` takes an auditor token and, when it is valid, sets it in an HttpOnly,
SameSite=Strict cookie (``Secure`` over HTTPS). Every page needs that cookie; every request is
logged by ``bot.app.api.auth.install_auth``. No page can write anything but the cookie.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from bot.app.api import decision_detail, latest_checkpoint, page_of, record_filter
from bot.app.api.auth import COOKIE, AuditContext, install_auth
from bot.audit.report import EXCEPTION_COLUMNS, EXCEPTION_KINDS, compute_stats, find_exceptions, rule_stats

CONSOLE_PREFIX = "/console"
_HERE = Path(__file__).parent
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
FILTER_KEYS = ("repo", "pr", "action", "rule_id", "author", "since", "until")
MAX_TOKEN_CHARS = 200
MAX_TABLE_ROWS = 500
"""The exceptions page shows the newest this many rows; the CSV download has them all."""


def _query(params: dict[str, Any], **changes: Any) -> str:
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return urlencode(merged)


def create_console(ctx: AuditContext, *, api_prefix: str = "/api/v1") -> FastAPI:
    """The console sub-application (mount it at ``CONSOLE_PREFIX``)."""
    console = FastAPI(title="Quorum console", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    templates.env.globals.update(api=api_prefix, root=CONSOLE_PREFIX, exception_kinds=EXCEPTION_KINDS)
    templates.env.filters["qs"] = _query
    console.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")
    install_auth(console, ctx, public=frozenset({"/login"}), login_redirect=f"{CONSOLE_PREFIX}/login")

    def page(request: Request, name: str, **data: Any) -> HTMLResponse:
        data.setdefault("auditor", getattr(request.state, "auditor", None))
        response = templates.TemplateResponse(request, name, data)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    @console.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request, reason: str | None = None) -> HTMLResponse:
        return page(request, "login.html", reason=reason, auditor=None)

    @console.post("/login")
    async def login(request: Request) -> Response:
        body = (await request.body())[:4096].decode("utf-8", "replace")
        token = (parse_qs(body).get("token") or [""])[0].strip()[:MAX_TOKEN_CHARS]
        info, outcome = await run_in_threadpool(ctx.access.authenticate, token)
        if outcome != "ok":
            response = page(request, "login.html", reason=outcome, auditor=None)
            response.status_code = 401
            return response
        response = RedirectResponse(f"{CONSOLE_PREFIX}/", status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                            path="/", max_age=12 * 3600)
        return response

    @console.get("/logout")
    async def logout() -> Response:
        response = RedirectResponse(f"{CONSOLE_PREFIX}/login?reason=logged+out", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @console.get("/", response_class=HTMLResponse)
    async def overview(request: Request) -> HTMLResponse:
        stats = await run_in_threadpool(ctx.cached, "stats", compute_stats)
        return page(request, "overview.html", stats=stats)

    @console.get("/decisions", response_class=HTMLResponse)
    async def decisions(request: Request, repo: str | None = None, pr: str | None = None, action: str | None = None,
                        rule_id: str | None = None, author: str | None = None, since: str | None = None,
                        until: str | None = None, cursor: str | None = None) -> HTMLResponse:
        params = {"repo": repo, "pr": pr, "action": action, "rule_id": rule_id, "author": author, "since": since,
                  "until": until}
        pr_number = int(pr) if pr and pr.strip().isdigit() else None
        if pr and pr_number is None:
            raise HTTPException(400, f"pr: {pr!r} is not a pull-request number")
        flt = record_filter(repo, pr_number, action, rule_id, author, since, until, "decision")
        result = await run_in_threadpool(page_of, ctx, flt, cursor, 50)
        return page(request, "decisions.html", page=result, params=params, cursor=cursor)

    @console.get("/decisions/{ident}", response_class=HTMLResponse)
    async def decision(request: Request, ident: str) -> HTMLResponse:
        found = await run_in_threadpool(decision_detail, ctx, ident)
        if found is None:
            raise HTTPException(404, f"no record matches {ident!r}")
        return page(request, "decision.html", d=found)

    @console.get("/merges", response_class=HTMLResponse)
    async def merges(request: Request, repo: str | None = None, cursor: str | None = None) -> HTMLResponse:
        result = await run_in_threadpool(page_of, ctx, record_filter(repo=repo, kind="merge"), cursor, 50)
        return page(request, "merges.html", page=result, params={"repo": repo})

    @console.get("/exceptions", response_class=HTMLResponse)
    async def exceptions(request: Request, kind: str | None = None) -> HTMLResponse:
        rows = await run_in_threadpool(ctx.cached, "exceptions", find_exceptions)
        shown = [r for r in rows if not kind or r["exception"] == kind]
        return page(request, "exceptions.html", rows=shown[-MAX_TABLE_ROWS:][::-1], matching=len(shown), total=len(rows),
                    kind=kind, columns=EXCEPTION_COLUMNS)

    @console.get("/rules", response_class=HTMLResponse)
    async def rules(request: Request) -> HTMLResponse:
        items = await run_in_threadpool(ctx.cached, "rules", rule_stats)
        docs = await run_in_threadpool(ctx.rule_docs)
        return page(request, "rules.html", rules=items, docs=docs)

    @console.get("/verify", response_class=HTMLResponse)
    async def verify(request: Request) -> HTMLResponse:
        report = await run_in_threadpool(ctx.decisions.verify)
        checkpoint, note = await run_in_threadpool(latest_checkpoint, ctx)
        return page(request, "verify.html", report=report, checkpoint=checkpoint, note=note)

    return console
