"""A repository's identity from its git remote URLs. Pure.

Local reviews are logged under ``owner/name`` when the clone has a GitHub remote, so that
``quorum audit list --repo owner/name`` finds them next to the App's reviews of the same
repository; otherwise under the clone's absolute path.

Remote URL forms (git-clone(1) "GIT URLS"): ``https://github.com/OWNER/NAME(.git)``,
``ssh://git@github.com[:port]/OWNER/NAME(.git)``, scp-like ``git@github.com:OWNER/NAME(.git)``,
``git://github.com/OWNER/NAME``. Owner and repository names follow GitHub's rules (letters,
digits, ``-``, ``_``, ``.``), checked so a URL can never smuggle other text into the log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

GITHUB_HOST = "github.com"
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,99})$")
_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")


def github_slug(url: str, hosts: Iterable[str] = (GITHUB_HOST,)) -> str | None:
    """``owner/name`` when ``url`` is a GitHub remote on one of ``hosts`` (case-insensitive), else None."""
    url = url.strip()
    wanted = {h.lower() for h in hosts}
    if "://" in url:
        parts = urlsplit(url)
        host, path = (parts.hostname or "").lower(), parts.path
    else:
        m = _SCP.match(url)
        if not m:
            return None
        host, path = m.group("host").lower(), m.group("path")
    if host not in wanted:
        return None
    segments = [s for s in path.strip("/").split("/") if s]
    if len(segments) != 2:
        return None
    owner, name = segments[0], segments[1].removesuffix(".git")
    if not (_NAME.match(owner) and _NAME.match(name)):
        return None
    return f"{owner}/{name}"


def repo_identity(path: str, remotes: dict[str, str]) -> str:
    """The name a local clone is logged under: ``owner/name`` of its GitHub remote, else ``path``.

    ``remotes`` maps remote name to URL; ``origin`` wins, then ``upstream``, then the others in
    name order.
    """
    order = sorted(remotes, key=lambda n: (n != "origin", n != "upstream", n))
    for name in order:
        slug = github_slug(remotes[name])
        if slug:
            return slug
    return path


def repo_uri(identity: str) -> str:
    """An absolute URI for a repository identity: ``https://github.com/owner/name`` for a slug,
    ``file:///abs/path`` for a local path (RFC 8089)."""
    if identity.startswith("/") or re.match(r"^[A-Za-z]:[\\\\/]", identity):
        return Path(identity).as_uri()
    return f"https://{GITHUB_HOST}/{identity}"


__all__ = ["GITHUB_HOST", "github_slug", "repo_identity", "repo_uri"]
