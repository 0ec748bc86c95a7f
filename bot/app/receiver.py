"""The webhook receiver's core: verify, parse, plan (``prepare``, CPU only), persist (the
DeliveryWriter's thread, or a direct transaction), then log and wake the workers (``finish``).

The web handler runs ``prepare`` on the event loop for small bodies and in a thread for large ones
(HMAC and JSON over up to 25 MB), and waits for the writer without blocking the loop. ``ingest``
does all of it synchronously. Answers are ``(status_code, json_body)``; every outcome logs one line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from bot.core.webhook import (
    WebhookPayloadError,
    installation_id,
    parse_event,
    plan,
    repo_name,
    signature_header_problem,
    verify_signature,
)
from bot.jobs import Delivery, DeliveryOutcome, DeliveryWriter, JobStore, JobStoreError

log = structlog.get_logger("quorum.webhook")


@dataclass
class RejectedDelivery(Delivery):
    """A signed delivery whose body could not be decoded or planned: stored (nothing is lost, the
    body can be inspected and replayed) with no tasks, and answered 400. ``reason`` is one line."""

    reason: str = ""


@dataclass
class Receiver:
    """Verifies and stores deliveries. ``on_queued`` wakes the workers; ``bot_login`` may return None."""

    secret: bytes
    jobs: JobStore
    on_queued: Callable[[], None] = lambda: None
    bot_login: Callable[[], str | None] = lambda: None
    writer: DeliveryWriter | None = None
    """Group-commit writer; None stores each delivery in its own transaction."""

    def __post_init__(self) -> None:
        if not self.secret:
            raise ValueError("a webhook secret is required")

    def ingest(self, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        """Handle one ``POST /webhook`` synchronously (headers lower-cased). See the module docstring."""
        started = time.perf_counter()
        prepared = self.prepare(headers, body)
        if not isinstance(prepared, Delivery):
            return prepared
        try:
            outcome = self.writer.submit(prepared) if self.writer is not None else self.jobs.record_deliveries([prepared])[0]
        except JobStoreError as exc:
            return self.store_failed(prepared, exc)
        return self.finish(prepared, outcome, started)

    def check_headers(self, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]] | None:
        """The error answer for a request whose headers alone rule it out (a missing or malformed
        ``X-Hub-Signature-256``, no ``X-GitHub-Delivery`` / ``X-GitHub-Event``), else None. Called
        before any body byte is read, so an unsigned body costs neither memory nor time."""
        delivery = headers.get("x-github-delivery") or ""
        event_name = headers.get("x-github-event") or ""
        problem = signature_header_problem(headers.get("x-hub-signature-256"), headers.get("x-hub-signature"))
        if problem:
            log.bind(delivery_id=delivery or None, event=event_name or None).warning(
                "webhook.rejected", reason=problem, content_length=headers.get("content-length"), body_read=False)
            return 401, {"error": "invalid signature"}
        if not delivery or not event_name or len(delivery) > 200 or len(event_name) > 100:
            log.bind(delivery_id=delivery[:200] or None, event=event_name[:100] or None).warning(
                "webhook.rejected", reason="missing or oversized X-GitHub-Delivery or X-GitHub-Event header",
                body_read=False)
            return 400, {"error": "missing X-GitHub-Delivery or X-GitHub-Event"}
        return None

    def prepare(self, headers: Mapping[str, str], body: bytes) -> Delivery | tuple[int, dict[str, Any]]:
        """Verify, parse and plan (CPU only, no I/O): the Delivery to store, or the error answer.

        A signed body that cannot be decoded or planned for any reason becomes a RejectedDelivery
        (stored, answered 400), never an exception.
        """
        early = self.check_headers(headers)
        if early is not None:
            return early
        delivery = headers.get("x-github-delivery") or ""
        event_name = headers.get("x-github-event") or ""
        bound = log.bind(delivery_id=delivery, event=event_name)
        if not verify_signature(self.secret, body, headers.get("x-hub-signature-256")):
            bound.warning("webhook.rejected", reason="signature does not match", bytes=len(body))
            return 401, {"error": "invalid signature"}
        try:
            event = parse_event(event_name, body)
            if event is None:
                return Delivery(delivery, event_name, None, None, None, body, [], f"event {event_name!r} not handled")
            tasks, note = plan(event, bot_login=self.bot_login())
        except WebhookPayloadError as exc:
            return self._rejected(delivery, event_name, body, f"malformed payload: {exc}")
        except Exception as exc:  # noqa: BLE001 - any undecodable body is a 400, stored, never a 500
            bound.error("webhook.prepare_failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")
            return self._rejected(delivery, event_name, body, f"payload could not be processed: {type(exc).__name__}")
        return Delivery(delivery, event_name, getattr(event, "action", None), installation_id(event),
                        repo_name(event), body, tasks, note)

    @staticmethod
    def _rejected(delivery: str, event_name: str, body: bytes, reason: str) -> RejectedDelivery:
        reason = (reason.splitlines() or ["rejected"])[0][:300]
        log.bind(delivery_id=delivery, event=event_name).warning("webhook.malformed", reason=reason, bytes=len(body))
        return RejectedDelivery(delivery, event_name, None, None, None, body, [], f"rejected: {reason}", reason=reason)

    def store_failed(self, item: Delivery, exc: JobStoreError) -> tuple[int, dict[str, Any]]:
        """The answer when the delivery could not be stored: 503, so GitHub shows a failed delivery."""
        log.error("webhook.store_failed", delivery_id=item.delivery_id, event=item.event, error=str(exc),
                  action="answered 503 so GitHub can redeliver")
        return 503, {"error": "could not store the delivery"}

    def finish(self, item: Delivery, outcome: DeliveryOutcome, started: float) -> tuple[int, dict[str, Any]]:
        """Log the outcome, wake the workers when jobs were queued, and build the answer."""
        bound = log.bind(delivery_id=item.delivery_id, event=item.event)
        elapsed = round((time.perf_counter() - started) * 1000, 2)
        if isinstance(item, RejectedDelivery):
            bound.info("webhook.rejected_stored", reason=item.reason, duplicate=outcome.duplicate, elapsed_ms=elapsed)
            return 400, {"error": item.reason, "stored": True}
        if outcome.duplicate:
            bound.info("webhook.duplicate", reason="delivery id already stored", elapsed_ms=elapsed)
            return 200, {"status": "duplicate", "delivery": item.delivery_id}
        note = item.note
        if outcome.inactive_installation:
            note = f"installation {item.installation_id} is {outcome.inactive_installation}: ignored"
            bound.warning("webhook.unknown_installation", installation_id=item.installation_id,
                          status=outcome.inactive_installation)
        if outcome.job_ids:
            self.on_queued()
        bound.info("webhook.accepted", action=item.action, repo=item.repo, installation_id=item.installation_id,
                   note=note, jobs=len(outcome.job_ids), superseded=outcome.superseded, cancelled=outcome.cancelled,
                   elapsed_ms=elapsed)
        return 202, {"status": "queued" if outcome.job_ids else "ignored", "jobs": outcome.job_ids, "note": note}
