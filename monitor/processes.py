"""The processes started for the browser, and making sure none of them outlives us.

Playwright starts its driver (node) as our child; the driver starts Chromium as the leader of a
new process group, and Chromium starts its zygotes, GPU, network and renderer processes in that
group. When Chromium closes, helpers still winding down are orphaned and handed to init, which
reaps them when it gets round to it: on a loaded machine, a second after we have exited. A
supervisor that restarts us would find the last browser's processes still there.

So a command that starts browsers makes itself the child subreaper of what it starts (orphans
come to it, not to init: `adopt_orphans`), and a ProcessTree follows what one Playwright driver
started: when the browser is closed, it waits for every process of the tree and of the groups
it has seen, kills what remains after a short grace, and reaps what was orphaned to us.
Linux only (it reads /proc); elsewhere it finds nothing and does nothing.

    adopt_orphans()                              # once, in a command's own process
    before = own_children()
    playwright = await async_playwright().start()
    tree = ProcessTree(own_children() - before)  # the driver, and all it will start
    ...                                          # launch, run; tree.remember() now and then
    await playwright.stop()
    killed = await tree.end()                    # nothing of it is left
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import sys
import time
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass

GRACE_SECONDS = 2.0  # for the browser's helpers to exit on their own once it has closed
KILL_WAIT_SECONDS = 5.0  # for the killed to be gone
POLL_SECONDS = 0.02
_PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>

Key = tuple[int, int]  # (pid, start time): a pid names the same process only while both match


@dataclass(frozen=True)
class Process:
    """One entry of the process table, from /proc/PID/stat."""

    pid: int
    ppid: int
    pgid: int
    state: str  # R, S, D, Z (exited, not yet reaped), ...
    start_ticks: int

    @property
    def key(self) -> Key:
        return (self.pid, self.start_ticks)

    @property
    def exited(self) -> bool:
        return self.state in ("Z", "X")


def _read_stat(pid: str) -> Process | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read().decode(errors="replace")
    except OSError:
        return None
    # The command name, in parentheses, may hold spaces and parentheses: split after the last.
    fields = text.rsplit(")", 1)[-1].split()
    try:
        return Process(int(pid), int(fields[1]), int(fields[2]), fields[0], int(fields[19]))
    except (IndexError, ValueError):
        return None


def process_table() -> dict[int, Process]:
    """Every process on the machine, by pid (empty where there is no /proc). Read with plain
    `os` calls: on a busy server hundreds of entries, read at every start and stop."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return {}
    table = {}
    for name in names:
        if name.isdigit() and (process := _read_stat(name)) is not None:
            table[process.pid] = process
    return table


def own_children() -> frozenset[Key]:
    """This process's children, as they are now."""
    me = os.getpid()
    return frozenset(p.key for p in process_table().values() if p.ppid == me)


def adopt_orphans() -> bool:
    """Make this process the child subreaper of every process it starts (Linux ≥ 3.4): one whose
    parent exits is handed to us instead of init, so we can wait for it and reap it. Only for a
    command's own process: a host that never reaps would collect its children's orphans."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


class ProcessTree:
    """What some children of ours (the roots) started: their descendants and the process groups
    those lead, remembered as they are seen, so that what is orphaned is still found.

        tree = ProcessTree(own_children() - before)
        tree.remember()              # after each launch, and before closing
        killed = await tree.end()    # after closing: nothing of it is left
    """

    def __init__(self, roots: Iterable[Key]) -> None:
        self._roots = frozenset(roots)
        self._known: set[Key] = set(self._roots)
        self._groups: set[int] = set()

    def remember(self, table: dict[int, Process] | None = None) -> None:
        """Follow the tree as it is now: what descends from it, and the groups it is in. What has
        gone is forgotten, so a pid or group number used again later is never taken for ours."""
        table = process_table() if table is None else table
        members = {p.pid for p in table.values() if self._holds(p)}
        frontier = members
        while frontier:
            frontier = {p.pid for p in table.values() if p.ppid in frontier} - members
            members |= frontier
        self._known = set(self._roots) | {table[pid].key for pid in members}
        self._groups = {table[pid].pgid for pid in members} - {os.getpgrp()}

    def _holds(self, process: Process) -> bool:
        return process.key in self._known or process.pgid in self._groups

    def left(self, table: dict[int, Process] | None = None) -> list[Process]:
        """Processes of the tree still in the process table (zombies too)."""
        table = process_table() if table is None else table
        return [p for p in table.values() if self._holds(p)]

    def reap(self, table: dict[int, Process] | None = None) -> None:
        """Reap the tree's orphans handed to us that have exited. The roots are left to whoever
        started them (asyncio waits for Playwright's driver)."""
        me = os.getpid()
        for process in self.left(table):
            if process.ppid == me and process.exited and process.key not in self._roots:
                with suppress(ChildProcessError):
                    os.waitpid(process.pid, os.WNOHANG)

    def _waiting_for(self, table: dict[int, Process]) -> list[Process]:
        """Those we must see gone: running ones, and exited ones that we or a process of the
        tree will reap. A zombie whose parent is outside the tree (init) is its business."""
        left = self.left(table)
        live = {p.pid for p in left if not p.exited}
        me = os.getpid()
        return [p for p in left if not p.exited or p.ppid == me or p.ppid in live]

    async def _settle(self, seconds: float, kill: bool) -> list[Process]:
        """Poll until nothing of the tree is left to wait for, or `seconds` have passed; with
        `kill`, kill every process of it still running each time round."""
        deadline = time.monotonic() + seconds
        while True:
            table = process_table()
            self.remember(table)
            if kill:
                for process in self.left(table):
                    if not process.exited:
                        with suppress(ProcessLookupError, PermissionError):
                            os.kill(process.pid, signal.SIGKILL)
            self.reap(table)
            waiting = self._waiting_for(process_table())
            if not waiting or time.monotonic() >= deadline:
                return waiting
            await asyncio.sleep(POLL_SECONDS)

    async def end(
        self, grace: float = GRACE_SECONDS, kill_wait: float = KILL_WAIT_SECONDS
    ) -> list[Process]:
        """Wait up to `grace` for the whole tree to be gone, then kill what remains and wait for
        that. Returns the processes that had to be killed (empty when all exited by themselves)."""
        stragglers = [p for p in await self._settle(grace, kill=False) if not p.exited]
        if stragglers:
            await self._settle(kill_wait, kill=True)
        return stragglers
