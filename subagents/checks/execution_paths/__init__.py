"""The execution_paths agent's checks (see :mod:`subagents.execution_paths`): ``call_paths``."""
