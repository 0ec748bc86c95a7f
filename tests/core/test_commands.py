"""The /quorum comment-command grammar."""

from __future__ import annotations

import pytest

from bot.core.commands import MAX_REASON_CHARS, CommandName, help_text, parse_command


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ("/quorum review", CommandName.review),
        ("  /Quorum REVIEW  ", CommandName.review),
        ("/quorum help", CommandName.help),
        ("/quorum", CommandName.help),
        ("thanks!\n/quorum human", CommandName.human),
    ],
)
def test_basic_commands(body: str, name: CommandName) -> None:
    cmd = parse_command(body)
    assert cmd is not None and cmd.name is name and cmd.error is None


def test_no_command() -> None:
    assert parse_command("LGTM") is None
    assert parse_command("see /quorum review in the docs") is None
    assert parse_command("/quorumreview") is None


def test_quoted_and_fenced_commands_ignored() -> None:
    assert parse_command("> /quorum human") is None
    assert parse_command("```\n/quorum human\n```") is None
    assert parse_command("```\n/quorum human\n```\n/quorum review").name is CommandName.review


def test_human_reason_cleaned_and_capped() -> None:
    cmd = parse_command("/quorum human touches   billing\u202e code")
    assert cmd.name is CommandName.human and cmd.reason == "touches billing code"
    long = parse_command("/quorum human " + "x" * 2000)
    assert len(long.reason) == MAX_REASON_CHARS
    assert parse_command("/quorum human").reason is None


def test_explain_and_feedback() -> None:
    cmd = parse_command("/quorum explain Q1a2b3c4d5e")
    assert cmd.name is CommandName.explain and cmd.finding_id == "Q1a2b3c4d5e"
    cmd = parse_command("/quorum feedback DOWN Q1a2b3c4d5e")
    assert cmd.name is CommandName.feedback and cmd.vote == "down" and cmd.finding_id == "Q1a2b3c4d5e"
    assert cmd.changes_state


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("/quorum approve", "unknown command `approve`"),
        ("/quorum set auto_approve true", "unknown command `set`"),
        ("/quorum explain", "needs one finding id"),
        ("/quorum explain <script>", "needs one finding id"),
        ("/quorum feedback sideways Q1", "usage"),
        ("/quorum feedback up", "usage"),
        ("/quorum review now please", "takes no arguments"),
    ],
)
def test_unknown_or_bad_commands_give_help(body: str, error: str) -> None:
    cmd = parse_command(body)
    assert cmd.name is CommandName.help and error in cmd.error
    assert cmd.error in help_text(cmd.error)
    assert "/quorum review" in help_text(cmd.error)


def test_unknown_verb_echo_is_short_and_has_no_backticks() -> None:
    cmd = parse_command("/quorum " + "`" * 10 + "a" * 100)
    assert cmd.error.count("`") == 2
    assert len(cmd.error) < 80
