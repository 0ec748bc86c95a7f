"""Quorum: an agentic pull-request review bot (deterministic sub-agents, policy-as-code, decision log)."""

__version__ = "0.1.0"
