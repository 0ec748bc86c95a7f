"""Route registration of the auditor surfaces, in one place: the read-only API at ``/api/v1``
and the console at ``/console``, mounted on the App or served alone (``quorum serve --console-only``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from bot.app.api import API_PREFIX, create_api
from bot.app.api.auth import AuditContext
from bot.app.console import CONSOLE_PREFIX, create_console
from bot.audit import DecisionStore
from bot.audit.access import AccessStore
from bot.audit.checkpoint import load_public_key, load_signing_key
from bot.core.errors import AuditError, ConfigError

if TYPE_CHECKING:
    from bot.config import Settings


def checkpoint_settings(settings: Settings) -> tuple[Path | None, Ed25519PublicKey | None]:
    """``(checkpoint directory, public key)`` for the verify pages, from settings.

    The key is ``QUORUM_AUDIT_PUBLIC_KEY`` (the operator's PEM public key) when set; otherwise the
    public half of the signing key file when it exists (the App that signs can check its own
    checkpoints; an auditor checks them offline with ``quorum audit verify --public-key``); otherwise
    None. Raises ConfigError (one line) when a configured key file cannot be used.
    """
    try:
        if settings.audit_public_key is not None:
            return settings.audit_checkpoint_dir, load_public_key(settings.audit_public_key)
        signing = settings.resolved_signing_key()
        if settings.audit_checkpoint_dir is not None and signing.is_file():
            return settings.audit_checkpoint_dir, load_signing_key(signing).public_key()
    except AuditError as exc:
        raise ConfigError(f"audit key: {exc}") from exc
    return settings.audit_checkpoint_dir, None


def mount_audit(app: FastAPI, decisions: DecisionStore, access: AccessStore, *,
                checkpoint_dir: Path | None = None, public_key: Ed25519PublicKey | None = None) -> AuditContext:
    """Mount the API and the console on ``app``; returns their shared context. ``checkpoint_dir`` and
    ``public_key`` feed the verify pages (see :func:`checkpoint_settings`)."""
    ctx = AuditContext(decisions=decisions, access=access, checkpoint_dir=checkpoint_dir, public_key=public_key)
    app.mount(API_PREFIX, create_api(ctx))
    app.mount(CONSOLE_PREFIX, create_console(ctx, api_prefix=API_PREFIX))

    @app.get("/console", include_in_schema=False)
    async def console_root() -> RedirectResponse:
        return RedirectResponse(f"{CONSOLE_PREFIX}/", status_code=307)

    return ctx


def create_audit_app(decisions: DecisionStore, access: AccessStore, *,
                     checkpoint_dir: Path | None = None, public_key: Ed25519PublicKey | None = None) -> FastAPI:
    """An app with only ``/healthz``, the API and the console (no webhook, no workers)."""
    app = FastAPI(title="Quorum audit", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    mount_audit(app, decisions, access, checkpoint_dir=checkpoint_dir, public_key=public_key)
    return app
