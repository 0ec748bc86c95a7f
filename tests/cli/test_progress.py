"""The shared progress reporter (bot.cli.progress): bars on a terminal, periodic lines in logs."""

from __future__ import annotations

import io
import threading

from bot.cli.progress import LineProgress, progress, progress_line


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_progress_line_shapes() -> None:
    assert progress_line("reviewing PRs", 120, 300, 42.0) == "quorum: reviewing PRs: 120/300 (40%) 00:42 elapsed, ~01:03 left"
    assert progress_line("reviewing PRs", 300, 300, 3725.0) == "quorum: reviewing PRs: 300/300 (100%) 1:02:05 elapsed"
    assert progress_line("fetching", 7, None, 5.0) == "quorum: fetching: 7 done, 00:05 elapsed"
    assert progress_line("fetching", 0, 0, 0.0) == "quorum: fetching: 0 done, 00:00 elapsed"


def test_lines_first_then_every_interval_then_completion() -> None:
    out, clock = io.StringIO(), FakeClock()
    report = LineProgress(out, interval_s=10.0, clock=clock)
    for done in range(1, 101):  # one item per second
        report("cases", done, 100)
        clock.now += 1.0
    lines = out.getvalue().splitlines()
    # first update, then one line per 10 s (t=10,20,...,90), and the completion line (100/100)
    assert lines[0].startswith("quorum: cases: 1/100 (1%)")
    assert lines[-1].startswith("quorum: cases: 100/100 (100%)")
    assert len(lines) == 11
    assert all("\r" not in line and "\x1b" not in line for line in lines)  # plain text for logs


def test_lines_per_phase_and_nothing_after_completion() -> None:
    out, clock = io.StringIO(), FakeClock()
    report = LineProgress(out, interval_s=10.0, clock=clock)
    report("labels", 1, 2)
    report("labels", 2, 2)
    report("labels", 2, 2)  # repeated completion: no second final line
    report("review", 1, 5)
    assert [line.split(":")[1].strip() for line in out.getvalue().splitlines()] == ["labels", "labels", "review"]


def test_closed_log_stream_never_stops_the_work() -> None:
    out = io.StringIO()
    out.close()
    LineProgress(out)("x", 1, 2)  # no exception


def test_progress_picks_lines_when_not_a_terminal_and_is_thread_safe() -> None:
    out = io.StringIO()  # isatty() is False
    with progress(out, interval_s=3600) as report:
        threads = [threading.Thread(target=report, args=("cases", i, 40)) for i in range(1, 41)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        report("cases", 40, 40)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("quorum: cases: ") and lines[-1].startswith("quorum: cases: 40/40")
    assert len(lines) <= 2


def test_progress_draws_a_bar_on_a_terminal() -> None:
    out = io.StringIO()
    with progress(out, tty=True) as report:
        report("reviewing PRs", 3, 4)
    text = out.getvalue()
    assert "reviewing PRs" in text and "3/4" in text
    assert "quorum: reviewing PRs" not in text  # not the log form
