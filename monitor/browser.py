"""Find a Chromium and launch it the way this monitor needs it.

Search order: an explicit path (`--browser-path` / `CHECKOUT_MONITOR_CHROMIUM`), Playwright's
own downloaded browser, then a system Chromium on PATH. The lean headless shell is preferred
over full Chromium wherever both exist: it needs far less CPU for the same checkout.

    >>> found = find_browser()                                     # doctest: +SKIP
    >>> async with async_playwright() as pw:                       # doctest: +SKIP
    ...     browser = await pw.chromium.launch(**launch_options(found))
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from monitor.errors import BrowserNotFound

T = TypeVar("T")

# Keeps Chromium off the network except for the shop it is pointed at, and quiet.
CHROMIUM_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-default-apps",
    "--mute-audio",
    # .invalid never resolves (RFC 2606): answer it without asking any DNS server.
    "--host-resolver-rules=MAP *.invalid ~NOTFOUND",
)

# Headless shells first: Playwright itself runs those for headless work.
SYSTEM_BROWSERS = (
    "chromium-headless-shell",
    "chrome-headless-shell",
    "chromium",
    "chromium-browser",
    "google-chrome-stable",
    "google-chrome",
)

INSTALL_HINT = (
    "No Chromium found. Install one of:\n"
    "  sudo apt-get install chromium-headless-shell   # Debian/Ubuntu, lean headless shell\n"
    "  sudo apt-get install chromium                  # Debian/Ubuntu, full Chromium\n"
    "  playwright install chromium                    # Playwright's own build\n"
    "or point to one with --browser-path PATH or CHECKOUT_MONITOR_CHROMIUM=PATH."
)


@dataclass(frozen=True)
class FoundBrowser:
    """A Chromium we can launch: where it is and how it was found."""

    path: str
    source: str  # "explicit", "playwright" or "system"

    @property
    def is_headless_shell(self) -> bool:
        return "headless" in Path(self.path).name or "headless_shell" in self.path


def playwright_browsers(env: Mapping[str, str]) -> list[str]:
    """Chromium builds Playwright has downloaded, headless shells first, newest first."""
    root = env.get("PLAYWRIGHT_BROWSERS_PATH") or str(Path.home() / ".cache" / "ms-playwright")
    if root == "0":
        return []
    base = Path(root)
    patterns = (
        "chromium_headless_shell-*/chrome-*/chrome-headless-shell",
        "chromium_headless_shell-*/chrome-*/headless_shell",
        "chromium-*/chrome-linux*/chrome",
        "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
    )
    found: list[str] = []
    for pattern in patterns:
        matches = sorted(base.glob(pattern), key=lambda p: p.parts[-3], reverse=True)
        found.extend(str(p) for p in matches if os.access(p, os.X_OK))
    return found


def find_browser(explicit: str | None = None, env: Mapping[str, str] | None = None) -> FoundBrowser:
    """The Chromium to use, or BrowserNotFound saying how to get one."""
    env = os.environ if env is None else env
    explicit = explicit or env.get("CHECKOUT_MONITOR_CHROMIUM") or None
    if explicit:
        resolved = shutil.which(explicit) or explicit
        if not (Path(resolved).is_file() and os.access(resolved, os.X_OK)):
            raise BrowserNotFound(
                f"The browser {explicit!r} (from --browser-path or CHECKOUT_MONITOR_CHROMIUM) "
                "is not an executable file. Give the full path of chromium or "
                "chromium-headless-shell, or unset it to search automatically."
            )
        return FoundBrowser(resolved, "explicit")
    for downloaded in playwright_browsers(env):
        return FoundBrowser(downloaded, "playwright")
    search_path = env.get("PATH", os.defpath)
    for name in SYSTEM_BROWSERS:
        if system := shutil.which(name, path=search_path):
            return FoundBrowser(system, "system")
    raise BrowserNotFound(INSTALL_HINT)


def launch_options(found: FoundBrowser, headless: bool = True) -> dict[str, Any]:
    """Keyword arguments for Playwright's `chromium.launch()`."""
    args = list(CHROMIUM_ARGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to sandbox as root
    return {"executable_path": found.path, "headless": headless, "args": args}


def browser_version(found: FoundBrowser) -> str:
    """What the browser says of its version, or why it could not say."""
    try:
        out = subprocess.run(
            [found.path, "--version"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"unknown ({exc})"
    return (out.stdout or out.stderr).strip() or f"unknown (exit {out.returncode})"


def use_node_compile_cache(env: MutableMapping[str, str] | None = None) -> Path | None:
    """Let Playwright's driver (node, 7 MB of script) keep its compiled code between our
    commands: node's own compile cache (`NODE_COMPILE_CACHE`), in the user's cache folder.
    A command then has the driver ready about 0.1 s sooner (bench/README.md). Node checks
    each entry against the script it was compiled from, so a Playwright upgrade only
    recompiles. Left alone when the user set the variable or `NODE_DISABLE_COMPILE_CACHE`.
    Playwright hands our environment to the driver it starts: call this before it does."""
    env = os.environ if env is None else env
    if "NODE_COMPILE_CACHE" in env or env.get("NODE_DISABLE_COMPILE_CACHE"):
        return None
    try:
        base = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home to keep it in: node then compiles as usual
        return None
    folder = base / "checkout-monitor" / "node-compile-cache"
    env["NODE_COMPILE_CACHE"] = str(folder)  # node creates it, and goes on without it if it can't
    return folder


def in_own_thread(work: Callable[[], T]) -> T:
    """Run sync-Playwright work on a fresh thread: the sync API refuses to run where an
    asyncio loop is running (inside `serve`, or beside another Playwright in tests)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright-sync") as pool:
        return pool.submit(work).result()


def device_names() -> list[str]:
    """Every device name Playwright knows (`Desktop Chrome`, `iPhone 13`, ...)."""

    def read() -> list[str]:
        from playwright.sync_api import sync_playwright

        use_node_compile_cache()
        with sync_playwright() as pw:
            return sorted(pw.devices)

    return in_own_thread(read)


def context_options(devices: Mapping[str, Any], device: str) -> dict[str, Any]:
    """Playwright context options for a device name; we always drive Chromium."""
    descriptor = dict(devices[device])
    descriptor.pop("default_browser_type", None)
    return descriptor
