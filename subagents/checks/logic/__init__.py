"""The logic agent's checks (see :mod:`subagents.logic`): ``hunks`` (every hunk-level ``logic/...``
rule) and ``untested`` (``logic/untested-behaviour-change``), over the shared scan of
:mod:`subagents.checks.logic._scan`."""
