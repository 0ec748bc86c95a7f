"""GitHub adapter: the only package that imports PyGithub (``github``).

Public API: ``GitHubApp`` (App JWT, installation tokens, repository clients), ``RepoClient``,
``GitHubPullRequestSource`` / ``GitHubTree`` / ``BlobCache`` (PullRequestSource and TreeView over
the REST API), ``GitHubSink`` and the write helpers, ``RetryPolicy``, and the error classes.
"""

from bot.adapters.github.auth import load_private_key
from bot.adapters.github.client import GitHubApp, GitHubToken, RepoClient
from bot.adapters.github.errors import (
    GitHubAuthError,
    GitHubError,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubRequestError,
    GitHubUnavailable,
    UnknownInstallation,
)
from bot.adapters.github.guards import HeadUnchanged, NotOwnPullRequest, github_approval_guards
from bot.adapters.github.retry import RetryPolicy
from bot.adapters.github.sink import (
    CHECK_NAME,
    GitHubSink,
    Handoff,
    dismiss_bot_approvals,
    finding_text,
    post_comment,
    redact,
    request_codeowners,
    request_reviewers,
)
from bot.adapters.github.source import BlobCache, GitHubPullRequestSource, GitHubTree, HeadMovedError

__all__ = [
    "CHECK_NAME",
    "BlobCache",
    "GitHubApp",
    "GitHubAuthError",
    "GitHubError",
    "GitHubNotFound",
    "GitHubPullRequestSource",
    "GitHubRateLimited",
    "GitHubRequestError",
    "GitHubSink",
    "GitHubToken",
    "GitHubTree",
    "GitHubUnavailable",
    "Handoff",
    "HeadMovedError",
    "HeadUnchanged",
    "NotOwnPullRequest",
    "RepoClient",
    "RetryPolicy",
    "UnknownInstallation",
    "dismiss_bot_approvals",
    "finding_text",
    "github_approval_guards",
    "load_private_key",
    "post_comment",
    "redact",
    "request_codeowners",
    "request_reviewers",
]
