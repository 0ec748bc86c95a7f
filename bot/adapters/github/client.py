"""The GitHub REST client: App-level calls and per-repository calls for one installation.

Built on PyGithub's ``Github`` (App and installation auth, base URL for GitHub Enterprise Server,
connection reuse, exception types) and its ``Requester.requestJsonAndCheck``, so each method makes
exactly the requests it names. PyGithub's own urllib3 retries and request throttling are turned
off; every call goes through ``call_with_retries`` instead. Constructors do no network I/O.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import structlog
from github import Auth, Github

from bot.adapters.github.auth import CachedAppAuth, InstallationAuth, InstallationTokens, mint_installation_token
from bot.adapters.github.errors import GitHubAuthError, GitHubError
from bot.adapters.github.retry import RetryPolicy, call_with_retries

log = structlog.get_logger("quorum.github")

MAX_PR_FILES = 3000
"""GitHub lists at most 3000 files of a pull request (docs, "List pull requests files")."""
MAX_PR_COMMITS = 250
"""GitHub lists at most 250 commits of a pull request (docs, "List commits on a pull request")."""


_WRITE_VERBS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


class GitHubApp:
    """One GitHub App: its JWT, its installation-token cache, and factories for repository clients.

    ``api_url``: ``https://api.github.com`` or ``https://HOST/api/v3`` (GHES).
    ``seconds_between_writes``: spacing of POST/PATCH/PUT/DELETE per client (GitHub's advice
    against secondary limits is one second; tests pass None).
    ``write_gate``: called with the installation id before every write, across retries too; it
    blocks until the installation may write (GitHub's secondary limits, shared by all workers
    through the database: ``bot.jobs.limiter.WriteLimiter.acquire``) or raises.
    """

    def __init__(
        self,
        app_id: int | str,
        private_key_pem: str,
        api_url: str = "https://api.github.com",
        *,
        retry: RetryPolicy | None = None,
        seconds_between_writes: float | None = 1.0,
        timeout_s: int = 15,
        clock: Callable[[], float] = time.time,
        write_gate: Callable[[int], object] | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.write_gate = write_gate
        self.retry = retry or RetryPolicy()
        self.seconds_between_writes = seconds_between_writes
        self.timeout_s = timeout_s
        self.clock = clock
        self.app_auth = CachedAppAuth(app_id, private_key_pem, clock=clock)
        self._app_gh = Github(auth=self.app_auth, base_url=self.api_url, retry=None, timeout=timeout_s,
                              seconds_between_requests=None, seconds_between_writes=None)
        self._app_lock = threading.Lock()
        self.tokens = InstallationTokens(self._mint, clock=clock)
        self._bot_login: str | None = None

    def _mint(self, installation_id: int) -> tuple[str, float]:
        with self._app_lock:
            return mint_installation_token(self._app_gh.requester, installation_id, self.retry, self.clock)

    def app_info(self) -> dict[str, Any]:
        """``GET /app`` (App JWT): the App's id, slug and name. Raises GitHubError."""

        def call() -> dict[str, Any]:
            with self._app_lock:
                return self._app_gh.requester.requestJsonAndCheck("GET", "/app")[1]

        return call_with_retries(call, "GET /app", self.retry)

    def bot_login(self) -> str:
        """The App's bot account login, ``<slug>[bot]`` (cached after the first ``GET /app``)."""
        if self._bot_login is None:
            self._bot_login = f"{self.app_info()['slug']}[bot]"
        return self._bot_login

    def repo(self, installation_id: int, full_name: str) -> RepoClient:
        """A client for one repository through one installation (no I/O until used)."""
        return RepoClient(self, installation_id, full_name)

    def auth_for(self, installation_id: int) -> Auth.Auth:
        """PyGithub auth for one installation: its cached, auto-refreshed installation token."""
        return InstallationAuth(self.tokens, installation_id)

    def token_rejected(self, installation_id: int) -> bool:
        """Drop the installation's cached token after a 401; True: a retry with a fresh one may work."""
        self.tokens.invalidate(installation_id)
        return True

    def close(self) -> None:
        """Close the App-level connection."""
        self._app_gh.close()


class GitHubToken:
    """Repository access with one fixed token, e.g. the ``GITHUB_TOKEN`` of a GitHub Actions job.

    Plays the part of :class:`GitHubApp` for :class:`RepoClient` (same retry and write spacing),
    without an App: no JWT, no installation tokens to mint. A 401 is final (the token cannot be
    refreshed). ``bot_login`` is the account the token acts as: ``github-actions[bot]`` for
    ``GITHUB_TOKEN`` (GitHub docs, "Automatic token authentication").
    """

    def __init__(
        self,
        token: str,
        api_url: str = "https://api.github.com",
        *,
        bot_login: str = "github-actions[bot]",
        retry: RetryPolicy | None = None,
        seconds_between_writes: float | None = 1.0,
        timeout_s: int = 15,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.seconds_between_writes = seconds_between_writes
        self.timeout_s = timeout_s
        self._token = token
        self._bot_login = bot_login
        self.write_gate: Callable[[int], object] | None = None
        """No shared write limiter: one Actions job writes to one pull request."""

    def auth_for(self, installation_id: int) -> Auth.Auth:
        """PyGithub token auth (the installation id is ignored: there is none)."""
        return Auth.Token(self._token)

    def token_rejected(self, installation_id: int) -> bool:
        """A fixed token cannot be refreshed: False (the 401 is raised)."""
        return False

    def bot_login(self) -> str:
        """The account the token acts as."""
        return self._bot_login

    def repo(self, full_name: str) -> RepoClient:
        """A client for ``full_name`` (no I/O until used)."""
        return RepoClient(self, 0, full_name)  # type: ignore[arg-type] - same interface as GitHubApp

    def close(self) -> None:
        """Nothing to close (each RepoClient owns its connection)."""


class RepoClient:
    """Calls on one repository as one installation. Thread-safe (requests are serialized).

    Every method raises GitHubError subclasses (see ``errors``); a 401 is answered once by
    dropping the cached installation token and retrying with a fresh one.
    """

    def __init__(self, app: GitHubApp, installation_id: int, full_name: str) -> None:
        self.app = app
        self.installation_id = installation_id
        self.full_name = full_name
        self._base = f"/repos/{quote(full_name, safe='/')}"
        self._gh = Github(auth=app.auth_for(installation_id), base_url=app.api_url, retry=None,
                          timeout=app.timeout_s, seconds_between_requests=None,
                          seconds_between_writes=app.seconds_between_writes)
        self._lock = threading.Lock()
        self.calls = 0

    def close(self) -> None:
        """Close this client's connection."""
        self._gh.close()

    def request(self, verb: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None,
                full: bool = False) -> tuple[dict[str, Any], Any]:
        """One request; ``path`` is relative to the repository unless ``full``. Returns (headers, json)."""
        url = path if full else self._base + path
        what = f"{verb} {url}"

        gate = self.app.write_gate if verb in _WRITE_VERBS else None

        def once() -> tuple[dict[str, Any], Any]:
            if gate is not None:
                gate(self.installation_id)
            with self._lock:
                self.calls += 1
                return self._gh.requester.requestJsonAndCheck(verb, url, parameters=params, input=body)

        try:
            return call_with_retries(once, what, self.app.retry)
        except GitHubAuthError:
            if not self.app.token_rejected(self.installation_id):
                raise
            log.warning("github.token_rejected", installation_id=self.installation_id, what=what,
                        action="minting a fresh installation token and retrying once")
            return call_with_retries(once, what, self.app.retry)

    def get(self, path: str, **params: Any) -> Any:
        """GET and return the JSON body."""
        return self.request("GET", path, params=params or None)[1]

    def paginate(self, path: str, *, limit: int, key: str | None = None, **params: Any) -> tuple[list[Any], bool]:
        """All items of a list endpoint, 100 per page, following ``Link: rel="next"``.

        Returns ``(items, complete)``; ``complete`` is False when ``limit`` items were reached
        with more pages left. ``key`` picks the list out of an object answer (e.g. ``check_runs``).
        """
        items: list[Any] = []
        page = 1
        while True:
            headers, data = self.request("GET", path, params={**params, "per_page": 100, "page": page})
            chunk = data.get(key, []) if key else data
            items.extend(chunk)
            link = next((str(v) for k, v in headers.items() if k.lower() == "link"), "")
            more = 'rel="next"' in link and bool(chunk)
            if not more:
                return items, True
            if len(items) >= limit:
                return items[:limit], False
            page += 1

    # ------------------------------------------------------------------ reads

    def pull(self, number: int) -> dict[str, Any]:
        """``GET /repos/{repo}/pulls/{n}``."""
        return self.get(f"/pulls/{number}")

    def pull_files(self, number: int) -> tuple[list[dict[str, Any]], bool]:
        """``GET .../pulls/{n}/files`` (all pages, at most 3000 files): ``(files, complete)``."""
        return self.paginate(f"/pulls/{number}/files", limit=MAX_PR_FILES)

    def pull_commits(self, number: int) -> list[dict[str, Any]]:
        """``GET .../pulls/{n}/commits`` (at most 250)."""
        return self.paginate(f"/pulls/{number}/commits", limit=MAX_PR_COMMITS)[0]

    def tree(self, sha: str, *, recursive: bool = True) -> dict[str, Any]:
        """``GET .../git/trees/{sha}`` (``recursive=1`` when asked)."""
        return self.get(f"/git/trees/{sha}", **({"recursive": "1"} if recursive else {}))

    def blob(self, sha: str) -> bytes:
        """``GET .../git/blobs/{sha}``, decoded from base64."""
        data = self.get(f"/git/blobs/{sha}")
        if data.get("encoding") == "base64":
            return base64.b64decode(data.get("content") or "")
        return str(data.get("content") or "").encode("utf-8")

    def check_runs_for(self, sha: str) -> list[dict[str, Any]]:
        """Check runs on a commit (``GET .../commits/{sha}/check-runs``, up to 300)."""
        return self.paginate(f"/commits/{sha}/check-runs", limit=300, key="check_runs")[0]

    def combined_status(self, sha: str) -> dict[str, Any]:
        """``GET .../commits/{sha}/status``."""
        return self.get(f"/commits/{sha}/status")

    def reviews(self, number: int) -> list[dict[str, Any]]:
        """Reviews on a PR (``GET .../pulls/{n}/reviews``, up to 1000)."""
        return self.paginate(f"/pulls/{number}/reviews", limit=1000)[0]

    def branch(self, name: str) -> dict[str, Any]:
        """``GET .../branches/{name}`` (``protection.required_status_checks`` when visible)."""
        return self.get(f"/branches/{quote(name, safe='')}")

    def branch_rules(self, name: str) -> list[dict[str, Any]]:
        """Active ruleset rules on a branch (``GET .../rules/branches/{name}``, up to 300)."""
        return self.paginate(f"/rules/branches/{quote(name, safe='')}", limit=300)[0]

    def permission(self, login: str) -> str:
        """The user's role on the repository: ``admin``, ``maintain``, ``write``, ``triage``, ``read`` or ``none``.

        From ``GET .../collaborators/{login}/permission`` (``role_name``, else ``permission``).
        """
        data = self.get(f"/collaborators/{quote(login, safe='')}/permission")
        return str(data.get("role_name") or data.get("permission") or "none")

    # ------------------------------------------------------------------ writes

    def create_check_run(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST .../check-runs``."""
        return self.request("POST", "/check-runs", body=body)[1]

    def update_check_run(self, check_run_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """``PATCH .../check-runs/{id}``."""
        return self.request("PATCH", f"/check-runs/{check_run_id}", body=body)[1]

    def create_review(self, number: int, body: dict[str, Any]) -> dict[str, Any]:
        """``POST .../pulls/{n}/reviews`` (``commit_id``, ``event``, ``body``, ``comments``)."""
        return self.request("POST", f"/pulls/{number}/reviews", body=body)[1]

    def dismiss_review(self, number: int, review_id: int, message: str) -> dict[str, Any]:
        """``PUT .../pulls/{n}/reviews/{id}/dismissals``."""
        return self.request("PUT", f"/pulls/{number}/reviews/{review_id}/dismissals", body={"message": message})[1]

    def request_reviewers(self, number: int, users: list[str], teams: list[str]) -> dict[str, Any]:
        """``POST .../pulls/{n}/requested_reviewers``."""
        return self.request("POST", f"/pulls/{number}/requested_reviewers",
                            body={"reviewers": users, "team_reviewers": teams})[1]

    def issue_comments(self, number: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Conversation comments on a PR (``GET .../issues/{n}/comments``, oldest first, up to ``limit``)."""
        return self.paginate(f"/issues/{number}/comments", limit=limit)[0]

    def upload_sarif(self, commit_sha: str, ref: str, sarif_gzip_base64: str) -> dict[str, Any]:
        """``POST .../code-scanning/sarifs`` (``commit_sha``, ``ref``, ``sarif``: gzip then base64;
        GitHub docs, "Upload an analysis as SARIF data"). Returns ``{id, url}``."""
        return self.request("POST", "/code-scanning/sarifs",
                            body={"commit_sha": commit_sha, "ref": ref, "sarif": sarif_gzip_base64,
                                  "tool_name": "quorum"})[1]

    def create_comment(self, number: int, body: str) -> dict[str, Any]:
        """``POST .../issues/{n}/comments`` (a conversation comment on the PR)."""
        return self.request("POST", f"/issues/{number}/comments", body={"body": body})[1]


__all__ = ["GitHubApp", "GitHubError", "GitHubToken", "RepoClient", "MAX_PR_FILES", "MAX_PR_COMMITS"]
