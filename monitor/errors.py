"""Every exception checkout-monitor raises on purpose, in one tree.

    CheckoutMonitorError            catch this to handle any of ours
     ├── JourneyError               journey or config files are invalid (every Problem found)
     ├── ConfigError                a flag, an environment variable or a config file is wrong
     ├── CodegenError               a recorded script cannot be imported (codegen.py)
     └── BrowserError               no usable Chromium
          ├── BrowserNotFound       nothing to launch: says how to install one
          └── BrowserLaunchFailed   found, but it would not start

A failing *shop* is never an exception: the runner records it in a RunResult. An exception that
escapes the runner is a bug in the monitor. The CLI turns every CheckoutMonitorError into a clear
message and exit code 2, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a journey file, located for a person and an editor.

    >>> str(Problem("journeys/a.yaml", 14, 9, "steps[3].click", "unknown key 'rol'"))
    "journeys/a.yaml:14:9: steps[3].click: unknown key 'rol'"
    """

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class CheckoutMonitorError(Exception):
    """Base of every error checkout-monitor raises on purpose."""


class JourneyError(CheckoutMonitorError):
    """Journey (or config) files are invalid; `problems` lists every one found, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ConfigError(CheckoutMonitorError):
    """A command-line flag, environment variable or config file is wrong."""


class BrowserError(CheckoutMonitorError):
    """No usable Chromium."""


class BrowserNotFound(BrowserError):
    """No Chromium to launch; the message says how to install one."""


class BrowserLaunchFailed(BrowserError):
    """A Chromium was found but would not start."""
