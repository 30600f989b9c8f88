"""Prints the corpus table at the end of the session, whatever the capture mode."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from .test_corpus import ROWS, table

    if ROWS:
        terminalreporter.write_line("")
        terminalreporter.write_line(table())
