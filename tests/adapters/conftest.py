"""Shared fixtures of the GitHub adapter tests: an installation client of the one fake GitHub.

A test module defines its own ``fake`` (a :class:`~bot.testing.fake_github.FakeGitHub` with the
repository ``acme/widgets`` as installation 42, holding that module's files); ``client`` is the
App's repository client for it, with retries that do not sleep and no write pacing.
"""

from __future__ import annotations

import pytest

from bot.adapters.github import GitHubApp, RetryPolicy
from bot.testing.fake_github import FakeGitHub

REPO = "acme/widgets"


@pytest.fixture
def client(fake: FakeGitHub):  # noqa: ANN201
    app = GitHubApp(fake.app_id, fake.private_key_pem, fake.base_url, retry=RetryPolicy(sleep=lambda s: None),
                    seconds_between_writes=None)
    return app.repo(42, REPO)
