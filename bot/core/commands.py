"""The ``/quorum`` comment-command grammar. Pure: text in, a Command out.

Grammar (one command per comment; the first line that starts with ``/quorum`` counts; lines inside
fenced code blocks and quoted lines (``>``) are skipped, so quoting someone else's command does
nothing)::

    /quorum review
    /quorum human [reason ...]
    /quorum explain <finding-id>
    /quorum feedback up|down <finding-id>
    /quorum help

Anything else after ``/quorum`` parses as ``help`` with ``error`` saying what was wrong, so the
bot can answer with a short help text. Commands never carry settings or policy: there is no
syntax for them.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from pydantic import BaseModel

MAX_REASON_CHARS = 500
"""A ``/quorum human`` reason is cut to this many characters."""

_FINDING_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_PREFIX = re.compile(r"^/quorum(?:\s+|$)", re.IGNORECASE)


WRITE_ROLES = frozenset({"admin", "maintain", "write"})
"""Repository roles (GitHub's collaborator permission ``role_name``) whose comment commands may
change state; others are refused (a pull request's author may still ask for a human review)."""


class CommandName(StrEnum):
    """The commands Quorum understands."""

    review = "review"
    human = "human"
    explain = "explain"
    feedback = "feedback"
    help = "help"


class Command(BaseModel):
    """A parsed command. ``error`` is set (and ``name`` is ``help``) when the text was not understood."""

    name: CommandName
    reason: str | None = None
    finding_id: str | None = None
    vote: str | None = None
    """``"up"`` or ``"down"`` for ``feedback``."""
    error: str | None = None

    @property
    def changes_state(self) -> bool:
        """True for commands that change what the bot does on the PR (need write access)."""
        return self.name in (CommandName.review, CommandName.human, CommandName.feedback)


def _clean(text: str) -> str:
    """Drop control and format characters (bidi, zero-width) and collapse whitespace."""
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch in " \t")
    return " ".join(kept.split())


def command_line(body: str) -> str | None:
    """The first ``/quorum`` line of a comment outside code fences and quotes, or None."""
    in_fence = False
    for raw in body.splitlines():
        line = raw.strip()
        if line.startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence or line.startswith(">"):
            continue
        if _PREFIX.match(line):
            return line
    return None


def parse_command(body: str) -> Command | None:
    """Parse a comment body. None when it holds no ``/quorum`` command at all.

    Unknown commands and bad arguments give ``Command(name=help, error="...")``.
    """
    line = command_line(body)
    if line is None:
        return None
    words = _clean(line).split(" ")[1:]
    if not words or not words[0]:
        return Command(name=CommandName.help)
    verb, args = words[0].lower(), words[1:]
    if verb == "help":
        return Command(name=CommandName.help)
    if verb == "review":
        if args:
            return Command(name=CommandName.help, error="`/quorum review` takes no arguments")
        return Command(name=CommandName.review)
    if verb == "human":
        reason = " ".join(args)[:MAX_REASON_CHARS] or None
        return Command(name=CommandName.human, reason=reason)
    if verb == "explain":
        if len(args) != 1 or not _FINDING_ID.match(args[0]):
            return Command(name=CommandName.help, error="`/quorum explain` needs one finding id, e.g. `Q1a2b3c4d5e`")
        return Command(name=CommandName.explain, finding_id=args[0])
    if verb == "feedback":
        if len(args) != 2 or args[0].lower() not in ("up", "down") or not _FINDING_ID.match(args[1]):
            return Command(name=CommandName.help, error="usage: `/quorum feedback up|down <finding-id>`")
        return Command(name=CommandName.feedback, vote=args[0].lower(), finding_id=args[1])
    shown = verb[:40].replace("`", "")
    return Command(name=CommandName.help, error=f"unknown command `{shown}`")


HELP_TEXT = """\
**Quorum commands** (write access needed for `review`, `human` and `feedback`):

- `/quorum review`: review the current head again (once per head and policy version).
- `/quorum human [reason]`: no auto-approval on this PR from now on; withdraws Quorum's approval and
  requests reviewers from CODEOWNERS.
- `/quorum explain <finding-id>`: the finding's evidence and the rule's documentation.
- `/quorum feedback up|down <finding-id>`: tell us whether a finding was useful.
- `/quorum help`: this text.

Commands never change the policy or the bot's settings: those live in `.quorum.yml` on the base branch.
"""


def help_text(error: str | None = None) -> str:
    """The help reply, prefixed with ``error`` (already safe Markdown) when given."""
    return (f"{error}\n\n" if error else "") + HELP_TEXT
