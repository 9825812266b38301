"""Images the shopper saw broken: every page's images that failed to load, by URL (no query).

An observer (see observers.py): the look after each step already reads the page's broken
images in its one round trip; this keeps them, each once, at most `LIMIT` per run.

    >>> observer = BrokenImages()                               # doctest: +SKIP
    >>> await observer.after_step(seen); await observer.finish(result, page)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from playwright.async_api import BrowserContext, Page

from monitor.observers import RunContext, StepSeen
from monitor.result import RunResult, public_url

LIMIT = 200  # a hostile page cannot grow a result without bound


@dataclass
class BrokenImages:
    urls: list[str] = field(default_factory=list)

    @classmethod
    def for_run(cls, run: RunContext) -> BrokenImages:
        return cls()

    async def attach(self, context: BrowserContext) -> None:
        pass  # the look after each step does the reading

    async def after_step(self, seen: StepSeen) -> None:
        if seen.look is None:
            return
        for url in seen.look.broken_images:
            shown = public_url(url)
            if shown not in self.urls and len(self.urls) < LIMIT:
                self.urls.append(shown)

    async def finish(self, result: RunResult, page: Page | None) -> RunResult:
        return replace(result, broken_images=tuple(self.urls))
