"""The demo shop in a child process, so its CPU and GIL never count as the monitor's.

    with ShopProcess() as shop:
        shop.url                           # http://127.0.0.1:PORT
        shop.set_faults(["slow:/product/trail-runner=1000"])
        shop.pid                           # to leave it out of the monitor's CPU

The child is `python -m bench.shop`: `DemoShopThread()` on port 0, told its faults as JSON lines
on stdin, answering on stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.journey import Journey

ROOT = Path(__file__).resolve().parent.parent
GUEST_CHECKOUT = ROOT / "journeys" / "demo-guest-checkout.yaml"


class ShopProcess:
    """`DemoShopThread()` on port 0, running in a child process."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self.url = self.provider_url = ""

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        assert self._process is not None
        assert self._process.stdin is not None and self._process.stdout is not None
        return self._process.stdin, self._process.stdout

    def start(self) -> ShopProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.shop"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        line = self._pipes()[1].readline()
        if not line:
            self.stop()
            raise RuntimeError("the demo shop did not start")
        self.url, self.provider_url = json.loads(line)
        return self

    def set_faults(self, names: list[str]) -> None:
        stdin, stdout = self._pipes()
        stdin.write(json.dumps(list(names)) + "\n")
        stdin.flush()
        if json.loads(stdout.readline()) != "ok":
            raise RuntimeError(f"the demo shop did not take the faults {names}")

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        stdin, _ = self._pipes()
        stdin.close()  # end of input: the child stops its shop and exits
        try:
            self._process.wait(15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> ShopProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def guest_checkout(shop_url: str, **changes: object) -> Journey:
    """journeys/demo-guest-checkout.yaml, pointed at this shop (with any field changed)."""
    from monitor.loader import load_journeys

    (journey,) = load_journeys([GUEST_CHECKOUT], env={**os.environ, "SHOP_URL": shop_url})
    return journey.model_copy(update=changes) if changes else journey


def main() -> None:
    from monitor.demo import DemoShopThread

    with DemoShopThread() as shop:
        print(json.dumps([shop.url, shop.provider_url]), flush=True)
        for line in sys.stdin:
            shop.set_faults(json.loads(line))
            print(json.dumps("ok"), flush=True)


if __name__ == "__main__":
    main()
