"""The agents' checks: ``subagents/checks/<agent>/<check>.py``, one module per check, each defining
``CHECK = subagents.framework.Check(...)``; ``_``-prefixed modules are helpers of that agent's
checks. See :mod:`subagents.framework` and ``docs/rules.md``."""
