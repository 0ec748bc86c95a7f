"""Errors of the GitHub adapter: one line each, and whether retrying the job later may help."""

from __future__ import annotations

from bot.core.errors import QuorumError


class GitHubError(QuorumError):
    """A GitHub API call failed. ``status`` is the HTTP status (0: no answer); ``retryable`` says
    whether the whole job may succeed later; ``retry_after_s`` is GitHub's hint, when it gave one.
    """

    retryable = False

    def __init__(self, message: str, *, status: int = 0, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


class GitHubRateLimited(GitHubError):
    """Primary or secondary rate limit still in force after the bounded retries."""

    retryable = True


class GitHubUnavailable(GitHubError):
    """5xx answers or network errors after the bounded retries."""

    retryable = True


class GitHubAuthError(GitHubError):
    """Credentials rejected (401) even after a fresh installation token."""


class GitHubNotFound(GitHubError):
    """404: the object does not exist or the installation cannot see it."""


class UnknownInstallation(GitHubError):
    """GitHub does not know this installation id for this App (deleted, or never ours)."""


class GitHubRequestError(GitHubError):
    """Any other 4xx: the request itself was refused (422 validation, 403 permission)."""
