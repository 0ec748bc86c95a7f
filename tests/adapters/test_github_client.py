"""GitHub App auth, installation tokens, rate-limit handling and retries against the fake GitHub."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from github.GithubException import GithubException
from structlog.testing import capture_logs

from bot.adapters.github import (
    GitHubApp,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubRequestError,
    GitHubUnavailable,
    RetryPolicy,
    UnknownInstallation,
    load_private_key,
)
from bot.adapters.github.auth import TOKEN_REFRESH_MARGIN_S, InstallationTokens
from bot.adapters.github.errors import GitHubError
from bot.adapters.github.retry import rate_limit_wait
from bot.testing.fake_github import FakeGitHub

REPO = "acme/widgets"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_repo(REPO, 42, {"a.py": "x = 1\n"})
        server.add_installation(77, "other")
        yield server


def make_app(fake: FakeGitHub, waits: list[float] | None = None, **policy: object) -> GitHubApp:
    sink = waits if waits is not None else []
    return GitHubApp(fake.app_id, fake.private_key_pem, fake.base_url,
                     retry=RetryPolicy(sleep=sink.append, **policy), seconds_between_writes=None)  # type: ignore[arg-type]


def test_jwt_is_rs256_with_app_id_and_cached(fake: FakeGitHub) -> None:
    clock = Clock()
    app = GitHubApp(fake.app_id, fake.private_key_pem, fake.base_url, clock=clock, seconds_between_writes=None)
    first = app.app_auth.token
    claims = jwt.decode(first, options={"verify_signature": False})
    assert claims["iss"] == str(fake.app_id)
    assert claims["iat"] <= clock.now - 59 and claims["exp"] - claims["iat"] <= 600
    assert app.bot_login() == "quorum[bot]"  # the fake verified the JWT's signature and claims
    assert app.app_auth.token == first and app.app_auth.minted == 1
    clock.now += 500  # within a minute of the 9-minute expiry: re-minted
    assert app.app_auth.token != first and app.app_auth.minted == 2


def test_installation_token_cached_and_refreshed_before_expiry() -> None:
    clock = Clock()
    minted: list[int] = []

    def mint(inst: int) -> tuple[str, float]:
        minted.append(inst)
        return f"t{len(minted)}", clock.now + 3600

    tokens = InstallationTokens(mint, clock=clock)
    assert tokens.get(1) == "t1"
    clock.now += 3600 - TOKEN_REFRESH_MARGIN_S - 10
    assert tokens.get(1) == "t1" and minted == [1]
    clock.now += 20  # now inside the refresh margin
    assert tokens.get(1) == "t2"
    assert tokens.get(2) == "t3" and minted == [1, 1, 2]


def test_one_token_per_installation_across_requests(fake: FakeGitHub) -> None:
    app = make_app(fake)
    client = app.repo(42, REPO)
    for _ in range(3):
        client.pull_files  # noqa: B018 - attribute access does no I/O
        client.get("")
    assert len(fake.calls("POST", r"/access_tokens$")) == 1


def test_expired_token_is_replaced_once(fake: FakeGitHub) -> None:
    app = make_app(fake)
    client = app.repo(42, REPO)
    client.get("")
    fake.expire_tokens()
    with capture_logs() as logs:
        assert client.get("")["full_name"] == REPO
    assert any(e["event"] == "github.token_rejected" for e in logs)
    assert len(fake.calls("POST", r"/access_tokens$")) == 2


def test_unknown_installation(fake: FakeGitHub) -> None:
    app = make_app(fake)
    with pytest.raises(UnknownInstallation, match="installation 999 is not an installation of this App"):
        app.repo(999, REPO).get("")


def test_other_installations_repo_is_not_found(fake: FakeGitHub) -> None:
    app = make_app(fake)
    with pytest.raises(GitHubNotFound):
        app.repo(77, REPO).get("")


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_retried_with_backoff(fake: FakeGitHub, status: int) -> None:
    waits: list[float] = []
    app = make_app(fake, waits)
    fake.fail("GET", r"/pulls/1$|/repos/acme/widgets$", status, times=2)
    with capture_logs() as logs:
        assert app.repo(42, REPO).get("")["full_name"] == REPO
    assert len(waits) == 2 and waits[1] > waits[0] * 0.6  # exponential, jittered
    assert [e["status"] for e in logs if e["event"] == "github.retry"] == [status, status]


def test_server_errors_give_up_after_max_attempts(fake: FakeGitHub) -> None:
    waits: list[float] = []
    app = make_app(fake, waits, max_attempts=3)
    fake.fail("GET", r"/repos/acme/widgets$", 503, times=10)
    with capture_logs() as logs, pytest.raises(GitHubUnavailable, match="503") as info:
        app.repo(42, REPO).get("")
    assert info.value.retryable and len(waits) == 2
    assert any(e["event"] == "github.gave_up" for e in logs)


def test_429_honours_retry_after(fake: FakeGitHub) -> None:
    waits: list[float] = []
    app = make_app(fake, waits)
    fake.fail("GET", r"/repos/acme/widgets$", 429, headers={"retry-after": "7"})
    app.repo(42, REPO).get("")
    assert len(waits) == 1 and 7.0 <= waits[0] <= 8.0


def test_403_primary_limit_waits_for_reset(fake: FakeGitHub) -> None:
    waits: list[float] = []
    app = make_app(fake, waits)
    reset = int(time.time()) + 20
    fake.fail("GET", r"/repos/acme/widgets$", 403,
              headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    app.repo(42, REPO).get("")
    assert len(waits) == 1 and 17.0 <= waits[0] <= 22.0


def test_403_secondary_limit_retried(fake: FakeGitHub) -> None:
    waits: list[float] = []
    app = make_app(fake, waits, max_wait_s=120.0)
    fake.fail("POST", r"/check-runs$", 403, headers={},
              message="You have exceeded a secondary rate limit. Please wait a few minutes before you try again.")
    app.repo(42, REPO).create_check_run({"name": "quorum", "head_sha": fake.repos[REPO].branches["main"]})
    assert len(waits) == 1 and waits[0] >= 60.0


def test_rate_limit_beyond_max_wait_gives_up_with_hint(fake: FakeGitHub) -> None:
    waits: list[float] = []
    app = make_app(fake, waits, max_wait_s=5.0)
    fake.fail("GET", r"/repos/acme/widgets$", 429, headers={"retry-after": "600"})
    with pytest.raises(GitHubRateLimited) as info:
        app.repo(42, REPO).get("")
    assert waits == [] and info.value.retryable and info.value.retry_after_s == 600.0


def test_403_permission_error_is_not_retried(fake: FakeGitHub) -> None:
    waits: list[float] = []
    app = make_app(fake, waits)
    fake.fail("POST", r"/check-runs$", 403, headers={}, message="Resource not accessible by integration")
    with pytest.raises(GitHubRequestError, match="403: Resource not accessible") as info:
        app.repo(42, REPO).create_check_run({"name": "quorum", "head_sha": "0" * 40})
    assert waits == [] and not info.value.retryable


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_other_4xx_never_retried(fake: FakeGitHub, status: int) -> None:
    waits: list[float] = []
    app = make_app(fake, waits)
    fake.fail("GET", r"/repos/acme/widgets$", status)
    with pytest.raises(GitHubError):
        app.repo(42, REPO).get("")
    assert waits == [] and len(fake.calls("GET", r"^/repos/acme/widgets$")) == 1


def test_network_error_is_retryable(fake: FakeGitHub) -> None:
    app = GitHubApp(fake.app_id, fake.private_key_pem, "http://127.0.0.1:9",
                    retry=RetryPolicy(sleep=lambda s: None, max_attempts=2), seconds_between_writes=None, timeout_s=2)
    with pytest.raises(GitHubUnavailable, match="no answer"):
        app.repo(42, REPO).get("")


@pytest.mark.parametrize(
    ("status", "headers", "message", "expected"),
    [
        (429, {"Retry-After": "3"}, "", 3.0),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1100"}, "", 100.0),
        (403, {}, "API rate limit exceeded for installation", 60.0),
        (403, {}, "Resource not accessible by integration", None),
        (404, {"retry-after": "1"}, "", None),
        (500, {}, "", None),
    ],
)
def test_rate_limit_wait(status: int, headers: dict, message: str, expected: float | None) -> None:
    exc = GithubException(status, {"message": message}, headers)
    assert rate_limit_wait(exc, clock=lambda: 1000.0) == expected


def test_private_key_from_text_or_path(tmp_path: Path, fake: FakeGitHub) -> None:
    assert load_private_key(fake.private_key_pem).startswith("-----BEGIN")
    assert "\n" in load_private_key(fake.private_key_pem.replace("\n", "\\n"))
    path = tmp_path / "key.pem"
    path.write_text(fake.private_key_pem)
    assert load_private_key(str(path)) == fake.private_key_pem
    with pytest.raises(GitHubError, match="neither PEM text nor a readable PEM file"):
        load_private_key(str(tmp_path / "missing.pem"))
    (tmp_path / "junk").write_text("hello")
    with pytest.raises(GitHubError, match="does not hold a PEM private key"):
        load_private_key(str(tmp_path / "junk"))
