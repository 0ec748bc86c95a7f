"""The intent agent's checks (see :mod:`subagents.intent`): ``type_mismatch``, ``scope_mismatch``,
``unrelated_files``, ``empty_description``, ``vague_title`` and ``claims``, over the shared
:class:`~subagents.checks.intent._facts.IntentFacts`."""
