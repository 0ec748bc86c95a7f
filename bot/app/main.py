"""The FastAPI app: ``POST /webhook``, ``GET /healthz``, and the auditor API and console
(``/api/v1``, ``/console``; registered by ``bot.app.auditweb``).

The handler first checks the headers (a missing or malformed ``X-Hub-Signature-256`` is answered
401 before any body byte is read), then reads the body as a stream, bounded by ``max_body_bytes``
(GitHub caps payloads at 25 MB) and by a per-request time limit (``read_timeout_s``), on the
event loop, verifies and parses it (in a thread when large), hands it to the DeliveryWriter and
awaits the commit without blocking the loop, then answers 202. Reviews run in the WorkerPool's threads, started and stopped with the app's lifespan.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.app.auditweb import checkpoint_settings, mount_audit
from bot.app.runtime import Runtime, is_postgres, run_workers
from bot.app.workerproc import WorkerProcess
from bot.jobs import Delivery, JobStoreError

log = structlog.get_logger("quorum.webhook")

_CLOSE = {"Connection": "close"}
"""Sent when the body was not read to its end: the connection cannot carry another request."""

INLINE_PREPARE_BYTES = 256 * 1024
"""Bodies up to this size are verified and parsed on the event loop; larger ones in a thread."""


def create_app(runtime: Runtime, *, start_workers: bool = True, worker_process: WorkerProcess | None = None) -> FastAPI:
    """The ASGI app over ``runtime``.

    With ``worker_process`` the lifespan starts and stops that child process (which polls the job
    queue); otherwise, with ``start_workers``, the lifespan runs ``runtime.pool`` (threads in this
    process: tests, small installations).
    """
    if worker_process is not None:
        runtime.receiver.on_queued = lambda: None

    pg_stop = threading.Event()
    pg_thread: list[threading.Thread] = []
    in_process_pg = worker_process is None and start_workers and is_postgres(runtime.jobs_url or "sqlite://")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if worker_process is not None:
            await run_in_threadpool(worker_process.start)
        elif in_process_pg:  # procrastinate workers on a thread of this process
            pg_thread.append(threading.Thread(target=run_workers, args=(runtime, pg_stop),
                                              kwargs={"threads": runtime.pool.threads}, name="quorum-pg-workers",
                                              daemon=True))
            pg_thread[0].start()
        elif start_workers:
            await run_in_threadpool(runtime.pool.start)
        try:
            yield
        finally:
            if worker_process is not None:
                await run_in_threadpool(worker_process.stop)
            elif in_process_pg:
                pg_stop.set()
                await run_in_threadpool(pg_thread[0].join, 30)
            elif start_workers:
                await run_in_threadpool(runtime.pool.stop)

    app = FastAPI(title="Quorum", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    limit = runtime.max_body_bytes

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    read_timeout = runtime.read_timeout_s

    @app.post("/webhook")
    async def webhook(request: Request) -> JSONResponse:
        headers = {k.lower(): v for k, v in request.headers.items()}
        receiver = runtime.receiver
        early = receiver.check_headers(headers)
        if early is not None:  # unsigned or unnamed: answered before a single body byte is read
            status, payload = early
            return JSONResponse(payload, status_code=status, headers=_CLOSE)
        declared = headers.get("content-length")
        delivery = headers.get("x-github-delivery")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            log.warning("webhook.rejected", delivery_id=delivery, reason=f"body larger than {limit} bytes",
                        content_length=declared)
            return JSONResponse({"error": "payload too large"}, status_code=413, headers=_CLOSE)
        body = bytearray()
        try:
            async with asyncio.timeout(read_timeout):
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > limit:
                        log.warning("webhook.rejected", delivery_id=delivery, reason=f"body larger than {limit} bytes")
                        return JSONResponse({"error": "payload too large"}, status_code=413, headers=_CLOSE)
        except TimeoutError:
            log.warning("webhook.rejected", delivery_id=delivery, reason=f"body not received within {read_timeout} s",
                        bytes=len(body))
            return JSONResponse({"error": "request body timeout"}, status_code=408, headers=_CLOSE)
        started = time.perf_counter()
        raw = bytes(body)
        if len(raw) <= INLINE_PREPARE_BYTES:
            prepared = receiver.prepare(headers, raw)  # HMAC + JSON of a small body: well under a millisecond
        else:
            prepared = await run_in_threadpool(receiver.prepare, headers, raw)
        if not isinstance(prepared, Delivery):
            status, payload = prepared
            return JSONResponse(payload, status_code=status)
        try:
            if receiver.writer is not None:
                outcome = await asyncio.wrap_future(receiver.writer.submit_future(prepared))
            else:
                outcome = (await run_in_threadpool(receiver.jobs.record_deliveries, [prepared]))[0]
        except JobStoreError as exc:
            status, payload = receiver.store_failed(prepared, exc)
        else:
            status, payload = receiver.finish(prepared, outcome, started)
        return JSONResponse(payload, status_code=status)

    if runtime.access is not None:
        checkpoint_dir, public_key = checkpoint_settings(runtime.settings) if runtime.settings is not None else (None, None)
        mount_audit(app, runtime.decisions, runtime.access, checkpoint_dir=checkpoint_dir, public_key=public_key)
    return app
