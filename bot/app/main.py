"""The FastAPI app: ``POST /webhook`` and ``GET /healthz``.

The handler reads the body (bounded by ``max_body_bytes``; GitHub caps payloads at 25 MB) on the
event loop, then verifies, parses and persists it in a thread (``run_in_threadpool``) and answers
202. Reviews run in the WorkerPool's threads, started and stopped with the app's lifespan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.app.runtime import Runtime

log = structlog.get_logger("quorum.webhook")


def create_app(runtime: Runtime, *, start_workers: bool = True) -> FastAPI:
    """The ASGI app over ``runtime``; with ``start_workers`` the lifespan runs the worker pool."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if start_workers:
            await run_in_threadpool(runtime.pool.start)
        try:
            yield
        finally:
            if start_workers:
                await run_in_threadpool(runtime.pool.stop)

    app = FastAPI(title="Quorum", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    limit = runtime.max_body_bytes

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/webhook")
    async def webhook(request: Request) -> JSONResponse:
        declared = request.headers.get("content-length")
        delivery = request.headers.get("x-github-delivery")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            log.warning("webhook.rejected", delivery_id=delivery, reason=f"body larger than {limit} bytes",
                        content_length=declared)
            return JSONResponse({"error": "payload too large"}, status_code=413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                log.warning("webhook.rejected", delivery_id=delivery, reason=f"body larger than {limit} bytes")
                return JSONResponse({"error": "payload too large"}, status_code=413)
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, payload = await run_in_threadpool(runtime.receiver.ingest, headers, bytes(body))
        return JSONResponse(payload, status_code=status)

    return app
