"""bot.core.logs: structlog is imported on the first log call, and logs as structlog.get_logger would."""

from __future__ import annotations

import subprocess
import sys

from structlog.testing import capture_logs

from bot.core.logs import get_logger


def test_a_lazy_logger_logs_like_structlog() -> None:
    log = get_logger("quorum.test")
    with capture_logs() as logs:
        log.error("something happened", agent="logic", n=2)
        log.bind(check="x").warning("bound")
    assert logs == [
        {"event": "something happened", "agent": "logic", "n": 2, "log_level": "error"},
        {"event": "bound", "check": "x", "log_level": "warning"},
    ]


def test_structlog_is_imported_only_when_something_is_logged() -> None:
    code = (
        "import sys\n"
        "from bot.core.logs import get_logger\n"
        "import subagents.framework\n"
        "log = get_logger('quorum.x')\n"
        "assert 'structlog' not in sys.modules, 'imported before any log call'\n"
        "log.debug('now')\n"
        "assert 'structlog' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
