"""Shared state and authentication of the auditor surfaces (API and console).

A request is authenticated by an auditor token, sent as ``Authorization: Bearer <token>`` (API
clients) or in the ``quorum_audit`` HttpOnly cookie the console's login form sets. Every request
that reaches these surfaces, allowed or refused, is written to the access log (``AccessStore``).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fastapi import Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from bot.audit import DecisionStore
from bot.audit.access import AccessStore
from bot.audit.query import head_seq, iter_records
from bot.core.errors import AuditError

COOKIE = "quorum_audit"
"""Name of the console's session cookie (holds the token; HttpOnly, SameSite=Strict)."""

READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass
class AuditContext:
    """What the API and console read: the decision log, the token/access store, the checkpoint
    directory and public key, and a cache of whole-log reports keyed by the chain's last ``seq``
    (recomputed only when the log grew)."""

    decisions: DecisionStore
    access: AccessStore
    checkpoint_dir: Path | None = None
    """Where the App writes signed checkpoints (``QUORUM_AUDIT_CHECKPOINT_DIR``); None: not configured."""
    public_key: Ed25519PublicKey | None = None
    """The operator's key that checkpoints must be signed with; None: signatures are not checked."""
    _cache: dict[str, tuple[int, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _docs: dict[str, dict[str, str]] | None = None

    def rule_docs(self) -> dict[str, dict[str, str]]:
        """``{rule_id: {"name", "what"}}`` for every registered rule (the rule registry, loaded once;
        ``what`` is the rule's docs section, or its one-line summary when it has none; ``{}`` if the
        registry cannot load)."""
        with self._lock:
            if self._docs is not None:
                return self._docs
        docs: dict[str, dict[str, str]] = {}
        try:
            from bot.core.registry import default_registry  # noqa: PLC0415 - loaded once, lazily

            for rule in default_registry().rules:
                what = rule.docs.what if rule.docs is not None else rule.summary
                docs[rule.id] = {"name": rule.name or rule.id, "what": " ".join(what.split())}
        except Exception:  # noqa: BLE001 - docs are a convenience; the page works without them
            docs = {}
        with self._lock:
            self._docs = docs
        return docs

    def cached(self, name: str, compute: Callable[[list[dict[str, Any]]], Any]) -> Any:
        """``compute(all records in chain order)``, cached until a record is appended."""
        seq = head_seq(self.decisions)
        with self._lock:
            hit = self._cache.get(name)
            if hit is not None and hit[0] == seq:
                return hit[1]
        value = compute(list(iter_records(self.decisions)))
        with self._lock:
            self._cache[name] = (seq, value)
        return value


def bearer_or_cookie(request: Request) -> str | None:
    """The token a request carries: the Authorization bearer, else the console cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(COOKIE) or None


def install_auth(app: Any, ctx: AuditContext, *, public: frozenset[str] = frozenset(), login_redirect: str | None = None) -> None:
    """Authenticate and log every request of ``app`` (a mounted FastAPI sub-app).

    Paths in ``public`` (relative to the mount, e.g. ``/login``) and under ``/static/`` pass
    without a token (still logged). Methods other than GET/HEAD are refused with 405 except on
    public paths (the login form posts). A refused request gets 401 JSON, or a redirect to
    ``login_redirect`` when set (the console).
    """

    @app.middleware("http")
    async def audit_auth(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.scope.get("path", "")
        root = request.scope.get("root_path", "")
        rel = path[len(root):] if root and path.startswith(root) else path
        full = path + (f"?{request.url.query}" if request.url.query else "")
        client = request.client.host if request.client else None
        if rel in public or rel.startswith("/static/"):
            response = await call_next(request)
            if not rel.startswith("/static/"):
                await run_in_threadpool(ctx.access.record, token_name=None, method=request.method, path=full,
                                        outcome=f"public {response.status_code}", client=client)
            return response
        try:
            info, outcome = await run_in_threadpool(ctx.access.authenticate, bearer_or_cookie(request))
        except AuditError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        name = info.name if info is not None else None
        if outcome != "ok":
            await run_in_threadpool(ctx.access.record, token_name=name, method=request.method, path=full,
                                    outcome=f"denied: {outcome}", client=client)
            if login_redirect is not None and request.method in READ_METHODS:
                return RedirectResponse(f"{login_redirect}?reason={outcome.replace(' ', '+')}", status_code=303)
            return JSONResponse({"error": f"unauthorized: {outcome}"}, status_code=401,
                                headers={"WWW-Authenticate": 'Bearer realm="quorum-audit"'})
        if request.method not in READ_METHODS:
            await run_in_threadpool(ctx.access.record, token_name=name, method=request.method, path=full,
                                    outcome="denied: read-only", client=client)
            return JSONResponse({"error": "read-only: this interface cannot change anything"}, status_code=405,
                                headers={"Allow": "GET, HEAD"})
        request.state.auditor = name
        await run_in_threadpool(ctx.access.record, token_name=name, method=request.method, path=full, outcome="ok",
                                client=client)
        return await call_next(request)
