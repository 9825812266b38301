"""What processes cost, read from /proc: CPU seconds and memory of a process and its descendants.

before = cpu_by_role(os.getpid(), exclude={shop.pid})
...
spent = cpu_delta(before, cpu_by_role(os.getpid(), exclude={shop.pid}))
# {"python": 3.1, "driver": 0.8, "chromium": 21.4}
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    name: str  # the executable's base name
    cpu_seconds: float  # utime + stime, this process only
    reaped_cpu_seconds: float  # cutime + cstime: its children that have ended and were reaped
    rss_bytes: int


def read(pid: int) -> Proc | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        exe = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    ppid = int(fields[1])
    cpu = (int(fields[11]) + int(fields[12])) / TICKS
    reaped = (int(fields[13]) + int(fields[14])) / TICKS
    rss = int(fields[21]) * PAGE
    name = os.path.basename(exe) or stat[stat.index("(") + 1 : stat.rindex(")")]
    return Proc(pid, ppid, name, cpu, reaped, rss)


def descendants(root: int, exclude: Iterable[int] = ()) -> list[Proc]:
    """`root` and every process below it (alive now), minus the `exclude` subtrees."""
    procs: dict[int, Proc] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (proc := read(int(entry))) is not None:
            procs[proc.pid] = proc
    children: dict[int, list[int]] = {}
    for proc in procs.values():
        children.setdefault(proc.ppid, []).append(proc.pid)
    skip = set(exclude)
    found: list[Proc] = []
    todo = [root]
    while todo:
        pid = todo.pop()
        if pid in skip or pid not in procs:
            continue
        found.append(procs[pid])
        todo.extend(children.get(pid, ()))
    return found


def role(proc: Proc, root: int) -> str:
    """python (our process), driver (Playwright's node), chromium, or other."""
    if proc.pid == root:
        return "python"
    if "chrom" in proc.name or "headless" in proc.name:
        return "chromium"
    if proc.name == "node" or "playwright" in proc.name:
        return "driver"
    return "other"


def cpu_by_role(root: int, exclude: Iterable[int] = ()) -> dict[str, float]:
    """CPU seconds so far of root and its descendants, summed by role.

    Chromium starts and ends a renderer per context; an ended renderer's time shows in the
    cutime/cstime of the Chromium process that reaped it, so those count for chromium. Our own
    process's reaped children (a previous browser) are left out."""
    totals: dict[str, float] = {"python": 0.0, "driver": 0.0, "chromium": 0.0, "other": 0.0}
    for proc in descendants(root, exclude):
        kind = role(proc, root)
        totals[kind] += proc.cpu_seconds + (proc.reaped_cpu_seconds if kind == "chromium" else 0)
    return totals


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {key: round(after[key] - before.get(key, 0.0), 3) for key in after}


def thread_cpu_seconds(native_id: int, pid: int | None = None) -> float:
    """CPU seconds of one thread of a process (default: ours)."""
    stat = Path(f"/proc/{pid or os.getpid()}/task/{native_id}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def pss_bytes(pid: int) -> int | None:
    """Proportional set size: shared pages split between the processes sharing them."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has been busy since boot (from /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICKS


def _all_cpu() -> dict[int, tuple[int, float, int]]:
    """pid -> (parent pid, CPU seconds, start time in clock ticks since boot)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICKS
        found[int(entry)] = (int(fields[1]), cpu, int(fields[19]))
    return found


def _tree(root: int, procs: dict[int, tuple[int, float, int]]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    mine, todo = set(), [root]
    while todo:
        pid = todo.pop()
        mine.add(pid)
        todo.extend(children.get(pid, ()))
    return mine


class Contention:
    """How much CPU other processes on the machine used while a benchmark ran.

    A thread looks at every process every `every` seconds and adds up the CPU time gained by
    those outside this process's tree (processes that start and end between two looks are
    missed, so it is a lower bound). Chromium processes re-parented away from us when a browser
    closes are remembered as ours.

        contention = Contention().start()
        ...
        contention.stop()   # {"other_processes_cpu_seconds": 12.3, ...}
    """

    def __init__(self, every: float = 2.0) -> None:
        self.every = every
        self.others = 0.0
        self._mine: set[int] = set()
        self._seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="contention", daemon=True)
        self._wall = self._machine = 0.0

    def start(self) -> Contention:
        self._wall, self._machine = time.monotonic(), machine_busy_seconds()
        self._look(first=True)
        self._thread.start()
        return self

    def _look(self, first: bool = False) -> None:
        procs = _all_cpu()
        self._mine |= _tree(os.getpid(), procs)
        for pid, (_, cpu, _) in procs.items():
            before = self._seen.get(pid)
            self._seen[pid] = cpu
            if pid in self._mine or first:
                continue
            self.others += cpu - before if before is not None else cpu

    def _watch(self) -> None:
        while not self._stop.wait(self.every):
            self._look()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        self._look()
        wall = time.monotonic() - self._wall
        cores = os.cpu_count() or 1
        return {
            "wall_seconds": round(wall, 1),
            "machine_busy_cpu_seconds": round(machine_busy_seconds() - self._machine, 1),
            "other_processes_cpu_seconds": round(self.others, 1),
            "other_processes_percent_of_machine": round(self.others / (wall * cores) * 100, 1),
        }
