"""The safety agent's checks (see :mod:`subagents.safety`): ``hidden_unicode``, ``prompt_injection``,
``secrets``, ``dangerous_calls``, ``sensitive_paths`` and ``file_modes``. They read the added lines
of the scan scope (:mod:`subagents.checks.safety._scope`) and the PR text."""
