"""The anti_patterns agent's checks (see :mod:`subagents.anti_patterns`): ``lint`` (ruff, oxlint) and
``catalog`` (the tree-sitter rule catalog), over the files chosen by
:mod:`subagents.checks.anti_patterns._files`."""
