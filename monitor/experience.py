"""How buying felt, as one number: the experience score (0-100) of a run, and its long waits.

A pure function over the RunResult (no browser here), written down so an owner can check it
(README, "Experience score"). In the spirit of Lighthouse's documented scoring: each part
scores 0-1, the score is their weighted mean, times 100, rounded.

| part | weight | scores 1 when | falls to |
|---|---|---|---|
| LCP, worst page | 15 | <= 2.5 s (good) | 0.5 at 4 s (poor), 0 at 8 s |
| CLS, worst page | 15 | <= 0.1 | 0.5 at 0.25, 0 at 0.5 |
| INP, worst page | 10 | <= 200 ms | 0.5 at 500 ms, 0 at 1 s |
| waits | 20 | no step waited over 1 s | -0.25 per step over 1 s, -1 per step over 10 s |
| signals | 40 | no frustration signal | -0.5 per error click, -0.25 per other signal |

A vital no page measured (INP needs an interaction) leaves the mean; long waits count in
`waits` only. Floors at 0.

    >>> from monitor.result import RunResult
    >>> score(RunResult(journey="j", site="s", device="d", started_at=0, duration_seconds=1,
    ...                 passed=True), ())
    100
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from monitor.result import FrustrationSignal, RunResult

ATTENTION_SECONDS = 1.0  # Nielsen: past 1 s the shopper's flow of thought is broken
LEAVES_SECONDS = 10.0  # Nielsen: past 10 s attention is lost; shoppers leave

# Google's Core Web Vitals thresholds: (good, poor), weight.
VITALS = {"lcp": ((2.5, 4.0), 15), "cls": ((0.1, 0.25), 15), "inp": ((0.2, 0.5), 10)}
WAITS_WEIGHT = 20
SIGNALS_WEIGHT = 40
PENALTY = {"error_click": 0.5, "dead_click": 0.25, "layout_shift_before_click": 0.25}
DEFAULT_PENALTY = 0.25  # error_shown, and any signal added later


def vital_score(value: float, good: float, poor: float) -> float:
    """1 up to good, 0.5 at poor (linear between), 0 at twice poor.

    >>> vital_score(0.1, 0.1, 0.25), vital_score(0.25, 0.1, 0.25), vital_score(0.5, 0.1, 0.25)
    (1.0, 0.5, 0.0)
    """
    if value <= good:
        return 1.0
    if value <= poor:
        return 1.0 - 0.5 * (value - good) / (poor - good)
    return max(0.0, 0.5 - 0.5 * (value - poor) / poor)


def step_waits(result: RunResult, not_waiting: Collection[int] = ()) -> list[tuple[str, float]]:
    """How long the shopper waited on the shop at each step: the step's own time, or the page
    it loaded, whichever is longer (both start at the action). `not_waiting`: indices of steps
    that are our own doing (typing, a journey's fixed pause); skipped optional steps too."""
    loads: dict[str, float] = {}
    for load in result.page_loads:
        if load.load_seconds is not None:
            loads[load.step] = max(loads.get(load.step, 0.0), load.load_seconds)
    return [
        (step.name, max(step.duration_seconds, loads.get(step.name, 0.0)))
        for step in result.steps
        if step.index not in not_waiting and not step.skipped
    ]


def long_waits(waits: Iterable[tuple[str, float]]) -> list[FrustrationSignal]:
    """A `long_wait` for each step the shopper waited on past 1 s (past 10 s: one that leaves)."""
    found = []
    for step, waited in waits:
        if waited > LEAVES_SECONDS:
            why = f"over {LEAVES_SECONDS:g}s: most shoppers leave"
        elif waited > ATTENTION_SECONDS:
            why = f"over {ATTENTION_SECONDS:g}s: attention drifts"
        else:
            continue
        found.append(FrustrationSignal("long_wait", step, f"waited {waited:.2f}s ({why})"))
    return found


def score(
    result: RunResult, signals: Iterable[FrustrationSignal], waits: Iterable[float] = ()
) -> int:
    """The experience score of a run, 0-100 (see the module's table); `waits`: seconds the
    shopper waited at each step (`step_waits`)."""
    parts: list[tuple[float, float]] = []  # (weight, 0-1)
    worst = {
        "lcp": [p.lcp_seconds for p in result.page_loads if p.lcp_seconds is not None],
        "cls": [p.cls for p in result.page_loads if p.cls is not None],
        "inp": [p.inp_seconds for p in result.page_loads if p.inp_seconds is not None],
    }
    for name, ((good, poor), weight) in VITALS.items():
        if worst[name]:
            parts.append((weight, vital_score(max(worst[name]), good, poor)))
    waited = 1.0
    for seconds in waits:
        waited -= 1.0 if seconds > LEAVES_SECONDS else 0.25 if seconds > ATTENTION_SECONDS else 0
    felt = 1.0
    for signal in signals:
        if signal.signal != "long_wait":  # counted in the waits
            felt -= PENALTY.get(signal.signal, DEFAULT_PENALTY)
    parts += [(WAITS_WEIGHT, max(0.0, waited)), (SIGNALS_WEIGHT, max(0.0, felt))]
    total = sum(weight for weight, _ in parts)
    return round(100 * sum(weight * part for weight, part in parts) / total)
