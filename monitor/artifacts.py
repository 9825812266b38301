"""What a failed run leaves behind for a person: screenshot, page HTML, Playwright trace.

Secrets never reach these files: HTML is masked, screenshots black out the fields that were
typed into with a secret (and every password and card field), and the trace zip is rewritten
with every secret value replaced.

    >>> folder = RunFolder(Path("artifacts"), "guest-checkout", started_at=0.25, attempt=1)
    >>> folder.path.as_posix()
    'artifacts/guest-checkout/19700101-000000.250-1'
"""

from __future__ import annotations

import re
import shutil
import time
import zipfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from monitor.result import mask

SENSITIVE_FIELDS = (
    "input[type=password], input[autocomplete^='cc-'], input[autocomplete='one-time-code']"
)


@dataclass(frozen=True)
class RunFolder:
    """`<root>/<journey>/<UTC time to the ms>-<attempt>/`, created on first use (parallel runs
    of one journey start in different milliseconds)."""

    root: Path
    journey: str
    started_at: float
    attempt: int

    @property
    def path(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(self.started_at))
        millis = int(self.started_at * 1000) % 1000
        return self.root / self.journey / f"{stamp}.{millis:03d}-{self.attempt}"

    def file(self, name: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "file"
        self.path.mkdir(parents=True, exist_ok=True)
        return self.path / safe


def write_masked_text(path: Path, text: str, secrets: tuple[str, ...]) -> None:
    path.write_text(mask(text, secrets), encoding="utf-8")


def mask_zip(path: Path, secrets: tuple[str, ...], into: Path | None = None) -> None:
    """Rewrite a zip (a Playwright trace) with every secret in its text members masked: in
    place, or into another file (the source is then left as it was)."""
    target = into or path
    if not path.exists():
        return
    if not secrets:
        if target != path:
            shutil.copyfile(path, target)
        return
    masked = target.with_suffix(".masking")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(masked, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item)
            # Images are left as they are: secret fields are masked when screenshots are taken.
            with suppress(UnicodeDecodeError):
                data = mask(data.decode("utf-8"), secrets).encode("utf-8")
            out.writestr(item, data)
    masked.replace(target)


def prune(root: Path, journey: str, keep: int) -> int:
    """Delete all but the newest `keep` run folders of a journey; how many were deleted."""
    folder = root / journey
    if keep < 0 or not folder.is_dir():
        return 0
    runs = sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True)
    removed = 0
    for old in runs[keep:]:
        for item in sorted(old.rglob("*"), reverse=True):
            item.unlink() if item.is_file() or item.is_symlink() else item.rmdir()
        old.rmdir()
        removed += 1
    return removed
