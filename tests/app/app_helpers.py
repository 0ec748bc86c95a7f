"""Helpers for the App's end-to-end tests: settings and runtime wired to the fake GitHub, signed deliveries."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bot.adapters.github import RetryPolicy
from bot.app.runtime import Runtime, build_runtime
from bot.config import Settings
from bot.core.webhook import sign
from bot.testing.fake_github import FakeGitHub

SECRET = "test-webhook-secret"
REPO = "acme/widgets"
INSTALLATION = 42

BASE_FILES: dict[str, str | bytes] = {
    "README.md": "# Widgets\n",
    "src/widgets/__init__.py": "",
    "src/widgets/util.py": "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n",
    "docs/guide.md": "# Guide\n\nUse widgets.\n",
    "CODEOWNERS": "* @owner-team-lead\n/src/ @carol @acme/core\n",
}


def make_settings(fake: FakeGitHub, tmp_path: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "webhook_secret": SECRET,
        "github_app_id": str(fake.app_id),
        "github_private_key": fake.private_key_pem,
        "github_api_url": fake.base_url,
        "database_url": f"sqlite:///{tmp_path / 'quorum.sqlite3'}",
        "data_dir": tmp_path / "data",
        "cache_dir": tmp_path / "cache",
    }
    if fake.git is not None:  # the mirrors fetch from the fake's git repositories
        values["git_url"] = fake.git_url
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class Sleeps:
    """Records the waits the retry policy asked for, without sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_runtime(fake: FakeGitHub, tmp_path: Path, sleeps: Sleeps | None = None, **settings: Any) -> Runtime:
    return build_runtime(make_settings(fake, tmp_path, **settings),
                         retry=RetryPolicy(sleep=sleeps or Sleeps(), max_wait_s=60.0),
                         seconds_between_writes=None, threads=2, poll_s=0.05, backoff_s=0.05, lease_s=1.0)


def pr_payload(fake: FakeGitHub, number: int, action: str = "opened", *, repo: str = REPO,
               installation: int = INSTALLATION, sender: str | None = None) -> dict[str, Any]:
    """A ``pull_request`` payload built from the fake's current state."""
    r = fake.repos[repo]
    pull = r.pulls[number]
    return {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number, "state": pull.state, "draft": pull.draft, "title": pull.title, "body": pull.body,
            "user": {"login": pull.user, "type": "Bot" if pull.user.endswith("[bot]") else "User"},
            "head": {"ref": pull.head_ref, "sha": pull.head_sha},
            "base": {"ref": pull.base_ref, "sha": pull.base_sha},
        },
        "repository": {"full_name": repo, "default_branch": r.default_branch},
        "installation": {"id": installation},
        "sender": {"login": sender or pull.user, "type": "User"},
    }


def comment_payload(number: int, body: str, *, login: str, user_type: str = "User", comment_id: int = 555) -> dict[str, Any]:
    return {
        "action": "created",
        "issue": {"number": number, "state": "open", "pull_request": {"url": "x"}},
        "comment": {"id": comment_id, "body": body, "user": {"login": login, "type": user_type}},
        "repository": {"full_name": REPO},
        "installation": {"id": INSTALLATION},
        "sender": {"login": login, "type": user_type},
    }


def deliver(client: TestClient, event: str, payload: dict[str, Any] | bytes, *, delivery: str | None = None,
            secret: str = SECRET, signature: str | None = None, extra_headers: dict[str, str] | None = None):
    """POST a signed delivery; returns the response."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": signature if signature is not None else sign(secret.encode(), body),
        "Content-Type": "application/json",
    }
    headers.update(extra_headers or {})
    return client.post("/webhook", content=body, headers=headers)
