"""Route registration of the auditor surfaces, in one place: the read-only API at ``/api/v1``
and the console at ``/console``, mounted on the App or served alone (``quorum serve --console-only``).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from bot.app.api import API_PREFIX, create_api
from bot.app.api.auth import AuditContext
from bot.app.console import CONSOLE_PREFIX, create_console
from bot.audit import DecisionStore
from bot.audit.access import AccessStore


def mount_audit(app: FastAPI, decisions: DecisionStore, access: AccessStore) -> AuditContext:
    """Mount the API and the console on ``app``; returns their shared context."""
    ctx = AuditContext(decisions=decisions, access=access)
    app.mount(API_PREFIX, create_api(ctx))
    app.mount(CONSOLE_PREFIX, create_console(ctx, api_prefix=API_PREFIX))

    @app.get("/console", include_in_schema=False)
    async def console_root() -> RedirectResponse:
        return RedirectResponse(f"{CONSOLE_PREFIX}/", status_code=307)

    return ctx


def create_audit_app(decisions: DecisionStore, access: AccessStore) -> FastAPI:
    """An app with only ``/healthz``, the API and the console (no webhook, no workers)."""
    app = FastAPI(title="Quorum audit", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    mount_audit(app, decisions, access)
    return app
