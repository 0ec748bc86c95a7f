"""Auditor tokens and the access log of the read-only API and console.

Tokens are random (``qa_`` + 32 bytes from ``secrets.token_urlsafe``), shown once at creation and
stored only as their SHA-256 (a 256-bit random secret needs no slow hash: there is nothing to
brute-force; GitHub stores its tokens the same way). Every token has scope ``read``: no route of
the API or console can write. A token can expire and can be revoked. Every authenticated or
refused request is appended to ``audit_access`` (who, what, when, outcome).

The tables live in the decision log's database but outside the hash chain (``verify`` walks only
``decision_log``): access bookkeeping must not grow the evidence chain on every page view.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text, create_engine, event, insert, select, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.core.errors import AuditError

metadata = MetaData()

tokens = Table(
    "audit_tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("scope", String(20), nullable=False),
    Column("created_at", DateTime(timezone=False), nullable=False),
    Column("expires_at", DateTime(timezone=False), nullable=True),
    Column("revoked_at", DateTime(timezone=False), nullable=True),
    Column("last_used_at", DateTime(timezone=False), nullable=True),
)

access_log = Table(
    "audit_access", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=False), nullable=False),
    Column("token_name", String(100), nullable=True),
    Column("method", String(10), nullable=False),
    Column("path", Text, nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("client", String(100), nullable=True),
)

TOKEN_PREFIX = "qa_"
SCOPE_READ = "read"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def token_digest(token: str) -> str:
    """SHA-256 hex of a token's UTF-8 bytes (what the table stores)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    """A stored token without its secret. Datetimes are naive UTC."""

    name: str
    scope: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def status(self, now: datetime | None = None) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or _utcnow()):
            return "expired"
        return "active"


class AccessStore:
    """Auditor tokens and the access log at a SQLAlchemy URL (the decision log's).

    Raises ``AuditError`` (one line) for database failures and invalid input.
    """

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            from pathlib import Path  # noqa: PLC0415

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        sqlite = parsed.get_backend_name() == "sqlite"
        self._engine: Engine = create_engine(parsed, connect_args={"timeout": 60.0} if sqlite else {})
        if sqlite:
            # The log file runs in WAL mode (the decision store sets it): with synchronous=NORMAL a
            # committed access survives a crash of the process, not of the machine, and a page
            # view costs no fsync (https://www.sqlite.org/pragma.html#pragma_synchronous).
            @event.listens_for(self._engine, "connect")
            def _on_connect(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.execute("PRAGMA synchronous=NORMAL")
        self._ready = False

    def close(self) -> None:
        """Release pooled connections."""
        self._engine.dispose()

    def _schema(self) -> None:
        if not self._ready:
            metadata.create_all(self._engine, checkfirst=True)
            self._ready = True

    def _run(self, doing: str, fn: Any) -> Any:
        try:
            self._schema()
            with self._engine.begin() as conn:
                return fn(conn)
        except SQLAlchemyError as exc:
            first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
            raise AuditError(f"audit tokens: cannot {doing}: {first}") from exc

    def create(self, name: str, *, expires_at: datetime | None = None) -> str:
        """Create a read-only token named ``name``; returns the secret (shown once, never stored).

        ``name`` is 1-100 characters of letters, digits, ``. _ @ -``; it must be unused.
        ``expires_at`` (aware or naive UTC) must lie in the future. Raises AuditError otherwise.
        """
        if not _NAME.fullmatch(name or ""):
            raise AuditError(f"invalid token name {name!r}: use 1-100 letters, digits, '.', '_', '@' or '-'")
        expiry = None
        if expires_at is not None:
            expiry = expires_at.astimezone(UTC).replace(tzinfo=None) if expires_at.tzinfo else expires_at
            if expiry <= _utcnow():
                raise AuditError("the expiry must be in the future")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)

        def do(conn: Any) -> None:
            if conn.execute(select(tokens.c.id).where(tokens.c.name == name)).first() is not None:
                raise AuditError(f"a token named {name!r} already exists (revoke it or pick another name)")
            conn.execute(insert(tokens).values(name=name, token_sha256=token_digest(secret), scope=SCOPE_READ,
                                               created_at=_utcnow(), expires_at=expiry))

        self._run("create a token", do)
        return secret

    def revoke(self, name: str) -> bool:
        """Revoke the token ``name``; False when there is no such active token."""
        def do(conn: Any) -> bool:
            res = conn.execute(update(tokens).where(tokens.c.name == name, tokens.c.revoked_at.is_(None))
                               .values(revoked_at=_utcnow()))
            return bool(res.rowcount)

        return self._run("revoke a token", do)

    def list(self) -> list[TokenInfo]:
        """All tokens (also expired and revoked ones), oldest first, without secrets."""
        def do(conn: Any) -> list[TokenInfo]:
            rows = conn.execute(select(tokens).order_by(tokens.c.id)).all()
            return [TokenInfo(r.name, r.scope, r.created_at, r.expires_at, r.revoked_at, r.last_used_at) for r in rows]

        return self._run("list tokens", do)

    def authenticate(self, secret: str | None) -> tuple[TokenInfo | None, str]:
        """``(token, "ok")`` for an active token, else ``(None or the token, reason)``.

        Reasons: ``no token``, ``unknown token``, ``revoked token``, ``expired token``.
        """
        if not secret:
            return None, "no token"

        def do(conn: Any) -> tuple[TokenInfo | None, str]:
            r = conn.execute(select(tokens).where(tokens.c.token_sha256 == token_digest(secret))).first()
            if r is None:
                return None, "unknown token"
            info = TokenInfo(r.name, r.scope, r.created_at, r.expires_at, r.revoked_at, r.last_used_at)
            status = info.status()
            if status != "active":
                return info, f"{status} token"
            return info, "ok"

        return self._run("check a token", do)

    def record(self, *, token_name: str | None, method: str, path: str, outcome: str, client: str | None) -> None:
        """Append one access (``path`` includes the query string) and touch the token's ``last_used_at``."""
        now = _utcnow()

        def do(conn: Any) -> None:
            conn.execute(insert(access_log).values(at=now, token_name=token_name, method=method[:10], path=path[:2000],
                                                   outcome=outcome[:40], client=(client or "")[:100] or None))
            if token_name is not None and outcome == "ok":
                conn.execute(update(tokens).where(tokens.c.name == token_name).values(last_used_at=now))

        self._run("record an access", do)

    def accesses(self, *, limit: int = 100, token_name: str | None = None) -> list[dict[str, Any]]:
        """The newest accesses first: ``{at, token_name, method, path, outcome, client}``."""
        def do(conn: Any) -> list[dict[str, Any]]:
            q = select(access_log).order_by(access_log.c.id.desc()).limit(max(1, min(limit, 10_000)))
            if token_name is not None:
                q = q.where(access_log.c.token_name == token_name)
            return [{"at": r.at.isoformat() + "Z", "token_name": r.token_name, "method": r.method, "path": r.path,
                     "outcome": r.outcome, "client": r.client} for r in conn.execute(q)]

        return self._run("read the access log", do)
