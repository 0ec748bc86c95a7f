"""The read-only auditor API, mounted at ``/api/v1`` (OpenAPI schema at ``/api/v1/openapi.json``).

Every route is a GET over the decision log (``bot.audit.query`` / ``bot.audit.report``); an
auditor token is required for all of them (``auth.install_auth``), and every access is logged.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from bot.app.api.auth import AuditContext, install_auth
from bot.audit.checkpoint import latest_checkpoint_status
from bot.audit.export import CSV_COLUMNS, csv_row
from bot.audit.query import MAX_PAGE, RecordFilter, iter_records, list_records, pr_records, summary
from bot.audit.report import EXCEPTION_COLUMNS, EXCEPTION_KINDS, compute_stats, find_exceptions, rule_stats
from bot.core.errors import AuditError

API_PREFIX = "/api/v1"
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size.")]
ExceptionKind = Annotated[str | None, Query(description="One of: " + ", ".join(EXCEPTION_KINDS))]


class RecordPage(BaseModel):
    """A page of records (list view), newest first; pass ``next_cursor`` as ``cursor`` for the next page."""

    items: list[dict[str, Any]]
    next_cursor: str | None


class DecisionDetail(BaseModel):
    """One record in full (policy tree, verdicts, findings with traces, what was posted), the merge
    records of its pull request, and the PR's other events (dismissals, feedback, ...)."""

    record: dict[str, Any]
    merges: list[dict[str, Any]]
    events: list[dict[str, Any]]


class VerifyOut(BaseModel):
    """The chain walk and the latest signed checkpoint (None when checkpoints are not available)."""

    ok: bool
    checked: int
    first_broken_seq: int | None
    reason: str | None
    summary: str
    checkpoint: dict[str, Any] | None
    checkpoint_note: str | None


def parse_time(value: str | None, name: str) -> datetime | None:
    """``YYYY-MM-DD`` or ISO-8601 (naive = UTC); HTTP 400 otherwise."""
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise HTTPException(400, f"{name}: {value!r} is not a date (YYYY-MM-DD) or ISO-8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def record_filter(repo: str | None = None, pr: int | None = None, action: str | None = None,
                  rule_id: str | None = None, author: str | None = None, since: str | None = None,
                  until: str | None = None, kind: str | None = "decision") -> RecordFilter:
    """The shared filter of the API and console (``kind`` empty: every kind)."""
    return RecordFilter(repo=repo or None, pr_number=pr, action=action or None, rule_id=rule_id or None,
                        author=author or None, since=parse_time(since, "since"), until=parse_time(until, "until"),
                        kind=kind or None)


def page_of(ctx: AuditContext, flt: RecordFilter, cursor: str | None, limit: int) -> RecordPage:
    """``list_records`` as a RecordPage of summaries; HTTP 400 for a bad cursor."""
    try:
        page = list_records(ctx.decisions, flt, cursor=cursor or None, limit=limit)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return RecordPage(items=[summary(r) for r in page.items], next_cursor=page.next_cursor)


def decision_detail(ctx: AuditContext, ident: str) -> DecisionDetail | None:
    """The record named by ``ident`` (decision id, seq, record-hash prefix) with its PR's merges and events."""
    try:
        record = ctx.decisions.get(ident)
    except AuditError as exc:
        raise HTTPException(400, str(exc)) from None
    if record is None:
        return None
    others: list[dict[str, Any]] = []
    if record.get("pr_number") is not None:
        others = [r for r in pr_records(ctx.decisions, record["repo"], record["pr_number"]) if r["seq"] != record["seq"]]
    return DecisionDetail(record=record, merges=[r for r in others if r.get("kind") == "merge"],
                          events=[summary(r) for r in others if r.get("kind") != "merge"])


def latest_checkpoint(ctx: AuditContext) -> tuple[dict[str, Any] | None, str | None]:
    """The newest signed checkpoint in ``ctx.checkpoint_dir`` and whether the log still extends it
    (``bot.audit.checkpoint.latest_checkpoint_status``): ``(checkpoint fields + file, verified,
    reason; or None, note)``."""
    return latest_checkpoint_status(ctx.decisions, ctx.checkpoint_dir, ctx.public_key)


def exceptions_csv(rows: list[dict[str, Any]]) -> Iterator[str]:
    """CSV text of the exceptions report, header first (lists joined with ``"; "``)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(EXCEPTION_COLUMNS)
    for row in rows:
        writer.writerow([("; ".join(v) if isinstance(v, list) else ("" if v is None else v))
                         for v in (row.get(c) for c in EXCEPTION_COLUMNS)])
    yield buf.getvalue()


def export_stream(ctx: AuditContext, fmt: str, flt: RecordFilter) -> Iterator[str]:
    """The CLI export's bytes as text chunks: JSONL lines or CSV with ``CSV_COLUMNS``."""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS))
        writer.writeheader()
        for i, record in enumerate(iter_records(ctx.decisions, flt)):
            writer.writerow(csv_row(record))
            if i % 200 == 199:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()
        return
    for record in iter_records(ctx.decisions, flt):
        yield json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def create_api(ctx: AuditContext) -> FastAPI:
    """The API sub-application (mount it at ``API_PREFIX``)."""
    api = FastAPI(title="Quorum audit API", version="1",
                  description="Read-only access to Quorum's decision log. Authenticate with an auditor token "
                              "(`quorum audit token create --name NAME`) as `Authorization: Bearer <token>`.",
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    install_auth(api, ctx)

    @api.get("/decisions", response_model=RecordPage, summary="Decisions, newest first, filtered")
    async def decisions(repo: str | None = None, pr: int | None = None, action: str | None = None,
                        rule_id: str | None = None, author: str | None = None, since: str | None = None,
                        until: str | None = None, kind: str = "decision", cursor: str | None = None,
                        limit: Limit = 50) -> RecordPage:
        flt = record_filter(repo, pr, action, rule_id, author, since, until, kind)
        return await run_in_threadpool(page_of, ctx, flt, cursor, limit)

    @api.get("/decisions/{ident}", response_model=DecisionDetail, summary="One record in full")
    async def decision(ident: str) -> DecisionDetail:
        found = await run_in_threadpool(decision_detail, ctx, ident)
        if found is None:
            raise HTTPException(404, f"no record matches {ident!r}")
        return found

    @api.get("/merges", response_model=RecordPage, summary="Merge records, newest first")
    async def merges(repo: str | None = None, pr: int | None = None, since: str | None = None,
                     until: str | None = None, cursor: str | None = None, limit: Limit = 50) -> RecordPage:
        flt = record_filter(repo, pr, None, None, None, since, until, "merge")
        return await run_in_threadpool(page_of, ctx, flt, cursor, limit)

    @api.get("/exceptions", summary="Merges without a decision, at an unreviewed SHA, or held back and merged")
    async def exceptions(repo: str | None = None,
                         kind: ExceptionKind = None,
                         format: Literal["json", "csv"] = "json",  # noqa: A002 - the query parameter's name
                         limit: Limit = 100, offset: Annotated[int, Query(ge=0)] = 0) -> Any:
        rows = await run_in_threadpool(ctx.cached, "exceptions", find_exceptions)
        rows = [r for r in rows if (repo is None or r["repo"] == repo) and (kind is None or r["exception"] == kind)]
        if format == "csv":  # the whole report, for the audit file
            return StreamingResponse(exceptions_csv(rows), media_type="text/csv; charset=utf-8",
                                     headers={"Content-Disposition": 'attachment; filename="quorum-exceptions.csv"'})
        return {"kinds": EXCEPTION_KINDS, "total": len(rows), "offset": offset, "items": rows[offset:offset + limit]}

    @api.get("/verify", response_model=VerifyOut, summary="Walk the hash chain; latest signed checkpoint")
    async def verify() -> VerifyOut:
        report = await run_in_threadpool(ctx.decisions.verify)
        checkpoint, note = await run_in_threadpool(latest_checkpoint, ctx)
        return VerifyOut(ok=report.ok, checked=report.checked, first_broken_seq=report.first_broken_seq,
                         reason=report.reason, summary=report.summary(), checkpoint=checkpoint, checkpoint_note=note)

    @api.get("/export", summary="Stream records in chain order as CSV (the CLI export's columns) or JSON Lines")
    async def export(format: Literal["csv", "jsonl"] = "jsonl", repo: str | None = None,  # noqa: A002
                     since: str | None = None, action: str | None = None, kind: str | None = None) -> StreamingResponse:
        flt = RecordFilter(repo=repo or None, since=parse_time(since, "since"), action=action or None, kind=kind or None)
        media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
        return StreamingResponse(export_stream(ctx, format, flt), media_type=media,
                                 headers={"Content-Disposition": f'attachment; filename="quorum-decisions.{format}"'})

    @api.get("/stats", summary="Series behind the console's plots")
    async def stats() -> dict[str, Any]:
        return await run_in_threadpool(ctx.cached, "stats", compute_stats)

    @api.get("/rules", summary="Per-rule findings, feedback votes and precision")
    async def rules() -> dict[str, Any]:
        items = await run_in_threadpool(ctx.cached, "rules", rule_stats)
        docs = await run_in_threadpool(ctx.rule_docs)
        return {"items": [{**r, "docs": docs.get(r["rule_id"])} for r in items]}

    return api
