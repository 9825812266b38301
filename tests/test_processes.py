"""What a browser leaves behind is found and ended: orphans, their process groups, zombies."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.processes import Process, ProcessTree, own_children, process_table

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

# A stand-in for Playwright's driver: it starts a "browser" leading its own process group (as
# Chromium does), which starts a helper in that group; it prints both pids, then waits.
DRIVER = textwrap.dedent("""\
    import subprocess, sys
    helper = "import subprocess, sys, time; h = subprocess.Popen(['sleep', '60']); " \\
        "print(h.pid, flush=True); time.sleep(60)"
    browser = subprocess.Popen([sys.executable, "-c", helper], stdout=subprocess.PIPE,
                               start_new_session=True, text=True)
    print(browser.pid, browser.stdout.readline().strip(), flush=True)
    sys.stdin.read()
""")


@pytest.fixture
def driver() -> Iterator[tuple[subprocess.Popen[str], ProcessTree, list[int]]]:
    before = own_children()
    with subprocess.Popen(
        [sys.executable, "-c", DRIVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as process:
        tree = ProcessTree(own_children() - before)
        assert process.stdout is not None
        pids = [int(pid) for pid in process.stdout.readline().split()]
        yield process, tree, pids
        for pid in running(pids):
            os.kill(pid, 9)
        process.kill()


def running(pids: list[int]) -> list[int]:
    table = process_table()
    return [pid for pid in pids if pid in table and not table[pid].exited]


def test_orphans_of_a_dead_driver_are_found_by_their_group_and_killed(
    driver: tuple[subprocess.Popen[str], ProcessTree, list[int]],
) -> None:
    process, tree, (browser, helper) = driver
    tree.remember()
    process.kill()  # the driver dies without closing its browser: browser and helper orphaned
    process.wait()

    killed = asyncio.run(tree.end(grace=0.3))

    assert {p.pid for p in killed} == {browser, helper}
    assert running([browser, helper]) == []


def test_a_tree_that_exits_by_itself_within_the_grace_is_not_killed(
    driver: tuple[subprocess.Popen[str], ProcessTree, list[int]],
) -> None:
    process, tree, (browser, helper) = driver
    tree.remember()
    os.killpg(browser, 15)  # the browser closes, taking its helper with it
    assert process.stdin is not None
    process.stdin.close()  # and the driver exits when its pipe closes, and is reaped
    assert process.wait(timeout=10) == 0

    assert asyncio.run(tree.end(grace=10)) == []
    assert running([browser, helper]) == []


def test_a_group_is_forgotten_once_empty_so_a_reused_number_is_never_taken_for_ours() -> None:
    me, my_group = os.getpid(), os.getpgrp()
    driver = Process(pid=1001, ppid=me, pgid=my_group, state="S", start_ticks=5)
    browser = Process(pid=1002, ppid=1001, pgid=1002, state="S", start_ticks=6)
    tree = ProcessTree([driver.key])
    tree.remember({1001: driver, 1002: browser})
    orphan = Process(pid=1003, ppid=1, pgid=1002, state="S", start_ticks=7)
    assert tree.left({1003: orphan}) == [orphan]  # found by its group

    tree.remember({})  # everything has gone
    stranger = Process(pid=1002, ppid=1, pgid=1002, state="S", start_ticks=900)
    assert tree.left({1002: stranger}) == []


ADOPTER = textwrap.dedent("""\
    import asyncio, subprocess, sys
    from monitor.processes import ProcessTree, adopt_orphans, own_children
    assert adopt_orphans()
    before = own_children()
    driver = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    tree = ProcessTree(own_children() - before)
    pids = driver.stdout.readline().split()
    tree.remember()
    driver.kill(); driver.wait(); driver.stdin.close(); driver.stdout.close()
    killed = asyncio.run(tree.end(grace=0.3))
    print(" ".join(pids), len(killed), len(tree.left()), flush=True)
""")


def test_a_subreaper_reaps_the_orphans_it_killed_so_not_even_a_zombie_is_left() -> None:
    out = subprocess.run(
        [sys.executable, "-c", ADOPTER, DRIVER], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    browser, helper, killed, left = (int(n) for n in out.stdout.split())
    assert (killed, left) == (2, 0)
    table = process_table()  # the adopter has exited: had it not reaped, init would be slow to
    assert browser not in table and helper not in table
