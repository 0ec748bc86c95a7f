"""Exceptions with one-line messages meant for users (the CLI prints ``str(exc)`` only)."""


class QuorumError(Exception):
    """Base class: ``str(exc)`` is a one-line, user-facing message."""


class SourceError(QuorumError):
    """The pull request could not be snapshotted (not a git repo, unknown ref, API failure)."""


class PolicyError(QuorumError):
    """The policy file is invalid (unknown keys, bad values)."""


class AuditError(QuorumError):
    """The decision log could not be read or written."""


class ConfigError(QuorumError):
    """The configuration asks for something this install cannot do (e.g. a model without the [llm] extra)."""
