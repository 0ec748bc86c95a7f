"""GitHub App authentication: a cached App JWT and cached installation tokens, refreshed early.

Sources (GitHub docs, "Authenticating as a GitHub App" and "Generating a JSON Web Token (JWT)
for a GitHub App"): the JWT is RS256-signed with the App's private key, ``iss`` is the App id,
``iat`` should be set 60 seconds in the past against clock drift, and ``exp`` may be at most 10
minutes after ``iat``. Installation access tokens (``POST /app/installations/{id}/access_tokens``)
expire after one hour; the answer carries ``expires_at``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jwt
import structlog
from github import Auth

from bot.adapters.github.errors import GitHubError, UnknownInstallation
from bot.adapters.github.retry import RetryPolicy, call_with_retries

log = structlog.get_logger("quorum.github")

JWT_LIFETIME_S = 540
"""Our JWTs live 9 minutes (GitHub allows 10 after ``iat``)."""
JWT_BACKDATE_S = 60
"""``iat`` is set this far in the past (GitHub's advice against clock drift)."""
JWT_REFRESH_MARGIN_S = 60
"""A cached JWT is replaced when fewer than this many seconds are left."""
TOKEN_REFRESH_MARGIN_S = 300
"""An installation token is replaced when fewer than this many seconds are left (of its hour)."""


def load_private_key(value: str) -> str:
    """The PEM text from ``value``: the PEM itself, or a path to a file holding it.

    Raises GitHubError (one line, never echoing key material) when neither works.
    """
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return text.replace("\\n", "\n") + "\n"
    path = Path(value).expanduser()
    try:
        pem = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise GitHubError(f"QUORUM_GITHUB_PRIVATE_KEY is neither PEM text nor a readable PEM file ({type(exc).__name__})") from exc
    if "-----BEGIN" not in pem:
        raise GitHubError(f"{path} does not hold a PEM private key")
    return pem


class CachedAppAuth(Auth.AppAuth):
    """PyGithub's AppAuth, but the JWT is reused until ``JWT_REFRESH_MARGIN_S`` before it expires."""

    def __init__(self, app_id: int | str, private_key: str, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(app_id, private_key, jwt_expiry=JWT_LIFETIME_S, jwt_issued_at=-JWT_BACKDATE_S)
        self._pem = private_key
        self._clock = clock
        self._lock = threading.Lock()
        self._jwt: str | None = None
        self._jwt_exp = 0.0
        self.minted = 0

    @property
    def token(self) -> str:
        """A valid App JWT (``iss`` = app id, RS256), minted at most once per ~8 minutes."""
        with self._lock:
            now = self._clock()
            if self._jwt is None or self._jwt_exp - now < JWT_REFRESH_MARGIN_S:
                iat = int(now) - JWT_BACKDATE_S
                exp = int(now) + JWT_LIFETIME_S
                self._jwt = jwt.encode({"iat": iat, "exp": exp, "iss": str(self.app_id)}, self._pem, algorithm="RS256")
                self._jwt_exp = float(exp)
                self.minted += 1
            return self._jwt


@dataclass
class _Token:
    token: str
    expires_at: float


class InstallationTokens:
    """Installation tokens per installation id, cached and refreshed ``TOKEN_REFRESH_MARGIN_S`` early.

    ``mint(installation_id) -> (token, expires_at_epoch_s)`` does the HTTP call (see
    ``GitHubApp``). Thread-safe; concurrent callers for one installation share one mint.
    """

    def __init__(self, mint: Callable[[int], tuple[str, float]], *, clock: Callable[[], float] = time.time) -> None:
        self._mint = mint
        self._clock = clock
        self._lock = threading.Lock()
        self._locks: dict[int, threading.Lock] = {}
        self._tokens: dict[int, _Token] = {}

    def get(self, installation_id: int) -> str:
        """A token valid for at least ``TOKEN_REFRESH_MARGIN_S`` more seconds. Raises GitHubError."""
        with self._lock:
            lock = self._locks.setdefault(installation_id, threading.Lock())
        with lock:
            cached = self._tokens.get(installation_id)
            if cached is not None and cached.expires_at - self._clock() > TOKEN_REFRESH_MARGIN_S:
                return cached.token
            token, expires_at = self._mint(installation_id)
            self._tokens[installation_id] = _Token(token, expires_at)
            log.info("github.token_minted", installation_id=installation_id,
                     expires_in_s=round(expires_at - self._clock()), refreshed=cached is not None)
            return token

    def invalidate(self, installation_id: int) -> None:
        """Forget the cached token (GitHub rejected it: revoked, or expired early)."""
        with self._lock:
            self._tokens.pop(installation_id, None)


class InstallationAuth(Auth.Auth):
    """PyGithub Auth that asks ``InstallationTokens`` for the token on every request."""

    def __init__(self, tokens: InstallationTokens, installation_id: int) -> None:
        self._tokens = tokens
        self.installation_id = installation_id

    @property
    def token_type(self) -> str:
        return "token"

    @property
    def token(self) -> str:
        return self._tokens.get(self.installation_id)

    @property
    def _masked_token(self) -> str:
        return "token (installation token removed)"


def parse_expires_at(value: object, clock: Callable[[], float] = time.time) -> float:
    """``expires_at`` (ISO-8601, ``Z``) as epoch seconds; one hour from now when absent or unreadable."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    return clock() + 3600.0


def mint_installation_token(requester: object, installation_id: int, policy: RetryPolicy,
                            clock: Callable[[], float] = time.time) -> tuple[str, float]:
    """``POST /app/installations/{id}/access_tokens`` with the App JWT requester. Raises GitHubError.

    A 404 means GitHub does not know the installation for this App: UnknownInstallation.
    """
    what = f"POST /app/installations/{installation_id}/access_tokens"

    def call() -> tuple[str, float]:
        _, data = requester.requestJsonAndCheck("POST", f"/app/installations/{installation_id}/access_tokens")  # type: ignore[attr-defined]
        return str(data["token"]), parse_expires_at(data.get("expires_at"), clock)

    try:
        return call_with_retries(call, what, policy)
    except GitHubError as err:
        if err.status == 404:
            raise UnknownInstallation(
                f"installation {installation_id} is not an installation of this App (GitHub answered 404)", status=404
            ) from err
        raise


__all__ = [
    "CachedAppAuth",
    "InstallationAuth",
    "InstallationTokens",
    "load_private_key",
    "mint_installation_token",
    "parse_expires_at",
]
