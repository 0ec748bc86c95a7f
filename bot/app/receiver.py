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
    verify_signature,
)
from bot.jobs import Delivery, DeliveryOutcome, DeliveryWriter, JobStore, JobStoreError

log = structlog.get_logger("quorum.webhook")


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

    def prepare(self, headers: Mapping[str, str], body: bytes) -> Delivery | tuple[int, dict[str, Any]]:
        """Verify, parse and plan (CPU only, no I/O): the Delivery to store, or the error answer."""
        delivery = headers.get("x-github-delivery") or ""
        event_name = headers.get("x-github-event") or ""
        bound = log.bind(delivery_id=delivery or None, event=event_name or None)
        signature = headers.get("x-hub-signature-256")
        if not verify_signature(self.secret, body, signature):
            if signature is None and headers.get("x-hub-signature"):
                reason = "only a sha1 signature (X-Hub-Signature); sha256 is required"
            elif signature is None:
                reason = "missing X-Hub-Signature-256"
            else:
                reason = "signature does not match"
            bound.warning("webhook.rejected", reason=reason, bytes=len(body))
            return 401, {"error": "invalid signature"}
        if not delivery or not event_name:
            bound.warning("webhook.rejected", reason="missing X-GitHub-Delivery or X-GitHub-Event header")
            return 400, {"error": "missing X-GitHub-Delivery or X-GitHub-Event"}
        try:
            event = parse_event(event_name, body)
        except WebhookPayloadError as exc:
            bound.warning("webhook.malformed", reason=str(exc), bytes=len(body))
            return 400, {"error": f"malformed payload: {exc}"[:300]}
        if event is None:
            return Delivery(delivery, event_name, None, None, None, body, [], f"event {event_name!r} not handled")
        tasks, note = plan(event, bot_login=self.bot_login())
        return Delivery(delivery, event_name, getattr(event, "action", None), installation_id(event),
                        repo_name(event), body, tasks, note)

    def store_failed(self, item: Delivery, exc: JobStoreError) -> tuple[int, dict[str, Any]]:
        """The answer when the delivery could not be stored: 503, so GitHub shows a failed delivery."""
        log.error("webhook.store_failed", delivery_id=item.delivery_id, event=item.event, error=str(exc),
                  action="answered 503 so GitHub can redeliver")
        return 503, {"error": "could not store the delivery"}

    def finish(self, item: Delivery, outcome: DeliveryOutcome, started: float) -> tuple[int, dict[str, Any]]:
        """Log the outcome, wake the workers when jobs were queued, and build the answer."""
        bound = log.bind(delivery_id=item.delivery_id, event=item.event)
        elapsed = round((time.perf_counter() - started) * 1000, 2)
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
