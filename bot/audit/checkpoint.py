"""Signed checkpoints of the decision log: an anchor kept outside the database.

A hash chain alone cannot tell a rewritten log from an honest one: whoever can write the database
can rewrite a record and recompute every later hash and the head row, delete the newest records,
or empty both tables, and the chain still verifies. A checkpoint fixes ``(seq, head hash)`` at one
moment and is signed with an Ed25519 key that never lives in the database (RFC 8032; made with
the ``cryptography`` package). Later, the log must *extend* every checkpoint: it still holds
record ``seq`` with the same ``record_hash``, and its chain still verifies up to it.

Checkpoint file (one JSON object, UTF-8)::

    {"format": "quorum-audit-checkpoint/1", "seq": N, "record_count": N, "head_hash": "<64 hex>",
     "created_at": "<ISO-8601 UTC>", "key_id": "<64 hex>", "signature": "<base64>"}

The signature covers ``SIGNING_DOMAIN + canonical_json(every field but "signature")``.
``key_id`` is the SHA-256 of the raw 32-byte public key; it only names the key: verification
always uses the operator's public key, never anything the file carries.

Public API (also used by the HTTP API's verify endpoint):
``load_or_create_signing_key``, ``load_public_key``, ``key_id``, ``create_checkpoint``,
``write_checkpoint``, ``read_checkpoint``, ``verify_against_checkpoint``, ``latest_checkpoint_file``,
``latest_checkpoint_status``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bot.audit.chain import canonical_json
from bot.audit.records import utc_timestamp
from bot.core.errors import AuditError

if TYPE_CHECKING:
    from bot.audit.store import DecisionStore

log = structlog.get_logger(__name__)

FORMAT = "quorum-audit-checkpoint/1"
SIGNING_DOMAIN = b"quorum-audit-checkpoint/1\n"
"""Prefix of the signed bytes, so a checkpoint signature can never be replayed as another message."""
KEY_FILE_NAME = "audit-signing-key.pem"
"""Default signing key file in the data directory (created with mode 0600 on first use)."""
MAX_CHECKPOINT_BYTES = 64 * 1024
_FIELDS = ("format", "seq", "record_count", "head_hash", "created_at", "key_id", "signature")


@dataclass(frozen=True)
class Checkpoint:
    """One signed checkpoint: ``seq`` (last record's sequence number, 0 for an empty log),
    ``record_count`` (== ``seq``: sequence numbers are contiguous from 1), ``head_hash`` (that
    record's ``record_hash``, 64 hex), ``created_at`` (ISO-8601 UTC), ``key_id`` (SHA-256 hex of the
    raw public key) and ``signature`` (base64 Ed25519 signature)."""

    seq: int
    record_count: int
    head_hash: str
    created_at: str
    key_id: str
    signature: str

    def payload(self) -> dict[str, Any]:
        """The signed fields (everything but ``signature``) as a JSON-able dict."""
        return {"format": FORMAT, "seq": self.seq, "record_count": self.record_count, "head_hash": self.head_hash,
                "created_at": self.created_at, "key_id": self.key_id}

    def signed_bytes(self) -> bytes:
        """``SIGNING_DOMAIN + canonical_json(payload())``: the exact bytes the signature covers."""
        return SIGNING_DOMAIN + canonical_json(self.payload())

    def to_json(self) -> str:
        """The checkpoint file's text (canonical JSON plus a newline)."""
        return canonical_json({**self.payload(), "signature": self.signature}).decode("utf-8") + "\n"


@dataclass(frozen=True)
class CheckpointReport:
    """Outcome of ``verify_against_checkpoint``: ``ok``; ``reason`` (one line, None when ok);
    ``checked`` (records whose chain verified); ``checkpoint_seq``."""

    ok: bool
    reason: str | None
    checked: int
    checkpoint_seq: int

    def summary(self) -> str:
        """One line for people."""
        if self.ok:
            return (f"log extends the checkpoint at seq {self.checkpoint_seq}: "
                    f"{self.checked} record{'s' if self.checked != 1 else ''} verified")
        return f"checkpoint check failed: {self.reason}"


# -- keys ------------------------------------------------------------------------------------------


def key_id(public_key: Ed25519PublicKey) -> str:
    """SHA-256 hex of the raw 32-byte Ed25519 public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in PEM (PKCS#8) file ``path``; when the file does not exist, a new
    key is generated and written there with mode 0600 (created exclusively: two processes starting
    at once end up with the same key). Raises AuditError when the file cannot be read or written,
    is readable by group/others, or holds something else than an unencrypted Ed25519 private key."""
    path = Path(path)
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return _read_private(path)
        except OSError as exc:
            raise AuditError(f"cannot create the audit signing key {path}: {exc.strerror or exc}") from exc
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        return key
    return _read_private(path)


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """Read an existing Ed25519 PEM private key (never creates one). Raises AuditError (one line)
    when it is missing, unreadable, readable by others (mode & 0o077), or not an Ed25519 key."""
    return _read_private(path)


def _read_private(path: Path) -> Ed25519PrivateKey:
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise AuditError(f"cannot read the audit signing key {path}: {exc.strerror or exc}") from exc
    if mode & 0o077:
        raise AuditError(f"audit signing key {path} is readable by others (mode {mode & 0o777:o}): chmod 600 it")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise AuditError(f"audit signing key {path} is not an unencrypted PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditError(f"audit signing key {path} is not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key in ``path``: a PEM public key (what an auditor keeps), or the
    operator's PEM private key (its public half is used). Raises AuditError otherwise."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise AuditError(f"cannot read the public key {path}: {exc.strerror or exc}") from exc
    key: object
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise AuditError(f"{path} holds no PEM Ed25519 key") from exc
        if isinstance(key, Ed25519PrivateKey):
            key = key.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise AuditError(f"{path} is not an Ed25519 key")
    return key


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    """The public key as PEM text (SubjectPublicKeyInfo)."""
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


# -- create / read / write -------------------------------------------------------------------------


def create_checkpoint(store: DecisionStore, key: Ed25519PrivateKey, *, now: datetime | None = None) -> Checkpoint:
    """Verify the whole chain of ``store`` and sign its head. Raises AuditError when the chain does
    not verify (a broken log must not be anchored) or the store cannot be read."""
    report = store.verify()
    if not report.ok:
        raise AuditError(f"no checkpoint: {report.summary()}")
    head_hash = report.head_hash or "0" * 64
    unsigned = Checkpoint(seq=report.checked, record_count=report.checked, head_hash=head_hash,
                          created_at=utc_timestamp(now), key_id=key_id(key.public_key()), signature="")
    signature = base64.b64encode(key.sign(unsigned.signed_bytes())).decode("ascii")
    return Checkpoint(**{**unsigned.__dict__, "signature": signature})


def write_checkpoint(checkpoint: Checkpoint, path: Path) -> Path:
    """Write ``checkpoint`` to ``path`` atomically (temporary file + rename); returns ``path``.
    Raises AuditError when it cannot be written."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(checkpoint.to_json(), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise AuditError(f"cannot write checkpoint {path}: {exc.strerror or exc}") from exc
    return path


def checkpoint_file_name(checkpoint: Checkpoint) -> str:
    """``checkpoint-<seq, 12 digits>-<UTC time>.json``: names sort by seq, then time."""
    stamp = checkpoint.created_at.replace("-", "").replace(":", "")
    return f"checkpoint-{checkpoint.seq:012d}-{stamp}.json"


def read_checkpoint(path: Path) -> Checkpoint:
    """Parse a checkpoint file. Raises AuditError (one line) when it is missing, too large, not
    JSON, has missing/extra/ill-typed fields or another format. The signature is NOT checked here."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_CHECKPOINT_BYTES + 1)
    except FileNotFoundError as exc:
        raise AuditError(f"checkpoint {path} is missing") from exc
    except OSError as exc:
        raise AuditError(f"cannot read checkpoint {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise AuditError(f"checkpoint {path} is larger than {MAX_CHECKPOINT_BYTES} bytes")
    try:
        obj = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as exc:
        raise AuditError(f"checkpoint {path} is not valid JSON") from exc
    if not isinstance(obj, dict) or sorted(obj) != sorted(_FIELDS):
        raise AuditError(f"checkpoint {path} must have exactly the fields {', '.join(_FIELDS)}")
    if obj["format"] != FORMAT:
        raise AuditError(f"checkpoint {path} has format {obj['format']!r}, expected {FORMAT!r}")
    ints = [obj["seq"], obj["record_count"]]
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in ints):
        raise AuditError(f"checkpoint {path}: seq and record_count must be non-negative integers")
    if not all(isinstance(obj[k], str) for k in ("head_hash", "created_at", "key_id", "signature")):
        raise AuditError(f"checkpoint {path}: head_hash, created_at, key_id and signature must be strings")
    return Checkpoint(seq=obj["seq"], record_count=obj["record_count"], head_hash=obj["head_hash"],
                      created_at=obj["created_at"], key_id=obj["key_id"], signature=obj["signature"])


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


# -- verify ----------------------------------------------------------------------------------------


def check_signature(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> str | None:
    """None when ``checkpoint`` was signed by ``public_key``; else a one-line reason."""
    expected = key_id(public_key)
    if checkpoint.key_id != expected:
        return (f"checkpoint was signed by key {checkpoint.key_id[:16]}, "
                f"not by the operator's key {expected[:16]}")
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
        public_key.verify(signature, checkpoint.signed_bytes())
    except (InvalidSignature, binascii.Error, ValueError):
        return "checkpoint signature is invalid (the file was altered or signed with another key)"
    return None


def verify_against_checkpoint(store: DecisionStore, checkpoint: Checkpoint,
                              public_key: Ed25519PublicKey) -> CheckpointReport:
    """Does the log in ``store`` still extend ``checkpoint``?

    In order: the signature must verify with ``public_key`` (the operator's; the ``key_id`` in the
    file is only compared, never trusted); ``seq == record_count``; the whole chain must verify
    (``DecisionStore.verify``: exact stored bytes, canonical JSON, head row); the log must hold at
    least ``seq`` records (fewer: emptied, truncated or rolled back); and record ``seq`` must
    carry ``head_hash`` (else it was rewritten, hashes recomputed, or replaced by a rolled-back
    copy that grew again). Returns a CheckpointReport; raises AuditError only when the store
    cannot be read.
    """
    def fail(reason: str, checked: int = 0) -> CheckpointReport:
        return CheckpointReport(False, reason, checked, checkpoint.seq)

    bad_signature = check_signature(checkpoint, public_key)
    if bad_signature:
        return fail(bad_signature)
    if checkpoint.seq != checkpoint.record_count:
        return fail("checkpoint seq and record_count disagree")
    report = store.verify()
    if not report.ok:
        return fail(report.summary(), report.checked)
    if report.checked == 0 and checkpoint.seq > 0:
        return fail(f"log is empty but the checkpoint covers {checkpoint.seq} records (emptied or replaced)")
    if report.checked < checkpoint.seq:
        return fail(f"log ends at seq {report.checked} but the checkpoint covers seq {checkpoint.seq} "
                    f"(truncated or rolled back)", report.checked)
    if checkpoint.seq == 0:
        return CheckpointReport(True, None, report.checked, 0)
    row = store.chain_row(checkpoint.seq)
    if row is None or row.record_hash != checkpoint.head_hash:
        return fail(f"record seq {checkpoint.seq} differs from the checkpoint "
                    f"(rewritten with recomputed hashes, or rolled back and appended again)", report.checked)
    return CheckpointReport(True, None, report.checked, checkpoint.seq)


def latest_checkpoint_file(directory: Path) -> Path | None:
    """The newest ``checkpoint-*.json`` in ``directory`` by name (names sort by seq, then time; see
    :func:`checkpoint_file_name`), or None when there is none. Raises AuditError (one line) when the
    directory is missing or unreadable."""
    if not Path(directory).is_dir():
        raise AuditError(f"checkpoint directory {directory} is missing")
    try:
        files = sorted(p for p in Path(directory).glob("checkpoint-*.json") if p.is_file())
    except OSError as exc:
        raise AuditError(f"cannot read checkpoint directory {directory}: {exc.strerror or exc}") from exc
    return files[-1] if files else None


def latest_checkpoint_status(store: DecisionStore, directory: Path | None,
                             public_key: Ed25519PublicKey | None) -> tuple[dict[str, Any] | None, str | None]:
    """The latest checkpoint in ``directory`` and whether the log in ``store`` still extends it.

    Returns ``(checkpoint, note)``. ``checkpoint`` is the file's fields (not the signature) plus
    ``file`` (its name), ``verified`` (bool: :func:`verify_against_checkpoint` with ``public_key``
    passed) and ``reason`` (one line when not verified). ``note`` explains a missing checkpoint
    (no directory configured, none written yet, unreadable file) or a missing public key (then
    ``verified`` is False and the reason says the signature was not checked). Never raises for a
    bad checkpoint: an unreadable or forged one is reported, not hidden.
    """
    if directory is None:
        return None, "no checkpoint directory configured (QUORUM_AUDIT_CHECKPOINT_DIR)"
    try:
        path = latest_checkpoint_file(directory)
        if path is None:
            return None, f"no checkpoint written yet in {directory}"
        checkpoint = read_checkpoint(path)
    except AuditError as exc:
        return None, f"checkpoint unreadable: {exc}"
    shown: dict[str, Any] = {**checkpoint.payload(), "file": path.name}
    if public_key is None:
        return {**shown, "verified": False,
                "reason": "signature not checked: no public key configured (QUORUM_AUDIT_PUBLIC_KEY)"}, None
    try:
        report = verify_against_checkpoint(store, checkpoint, public_key)
    except AuditError as exc:
        return {**shown, "verified": False, "reason": str(exc)}, None
    return {**shown, "verified": report.ok, "reason": report.reason}, None


# -- periodic writer (quorum serve) ----------------------------------------------------------------


class CheckpointWriter:
    """Writes a signed checkpoint into ``directory`` after every ``every`` records appended through
    ``store`` (register ``appended`` with ``DecisionStore.add_listener``) and on ``close``.

    ``directory`` must be outside the database (the operator ships it to storage the database
    writer cannot rewrite: another host, a WORM bucket, an auditor's mailbox). Thread-safe. A failed
    checkpoint is logged and retried at the next append; it never fails the append itself.
    """

    def __init__(self, store: DecisionStore, key: Ed25519PrivateKey, directory: Path, every: int) -> None:
        if every < 1:
            raise ValueError("every must be >= 1")
        self.store = store
        self.key = key
        self.directory = Path(directory)
        self.every = every
        self._since = 0
        self._lock = threading.Lock()
        self.written: list[Path] = []

    def appended(self, seq: int, record_hash: str) -> None:  # noqa: ARG002 - listener signature
        """Listener: count one appended record; write a checkpoint when ``every`` are reached."""
        with self._lock:
            self._since += 1
            if self._since < self.every:
                return
            if self._write():
                self._since = 0

    def close(self) -> Path | None:
        """Write a final checkpoint (on shutdown); returns its path, or None when it failed."""
        with self._lock:
            path = self._write()
            if path:
                self._since = 0
            return path

    def _write(self) -> Path | None:
        try:
            cp = create_checkpoint(self.store, self.key)
            path = write_checkpoint(cp, self.directory / checkpoint_file_name(cp))
        except AuditError as exc:
            log.error("audit.checkpoint_failed", directory=str(self.directory), error=str(exc))
            return None
        log.info("audit.checkpoint_written", path=str(path), seq=cp.seq, head_hash=cp.head_hash, key_id=cp.key_id)
        self.written.append(path)
        return path
