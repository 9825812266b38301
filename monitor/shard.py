"""Shards: which journeys one of N `serve` instances runs, with no coordinator.

Every instance reads every journey file and keeps the journeys that fall to its shard. The
split is rendezvous (highest-random-weight) hashing of the journey name: each journey goes to
the shard that scores it highest, so the split needs no shared state, is the same in every
process and on every machine, and going from N to N+1 shards moves only the ~1/(N+1) of the
journeys that the new shard wins — every other journey stays where it was, keeping its metric
history on the same instance.

    >>> shard = Shard.parse("2/3")
    >>> shard.takes("guest-checkout")                        # doctest: +SKIP
    True
    >>> [j.name for j in shard.select(journeys)]             # doctest: +SKIP
    ['guest-checkout', 'pickup-point']

In a Kubernetes StatefulSet the shard comes from the pod's ordinal (see `Shard.from_env`).
The weight function below is part of the contract: changing it reshuffles every deployment.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from monitor.errors import ConfigError

SHARD_ENV = "CHECKOUT_MONITOR_SHARD"  # "K/N"
SHARDS_ENV = "CHECKOUT_MONITOR_SHARDS"  # "N"; K from the StatefulSet pod's ordinal
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
_ORDINAL = re.compile(r"-(\d+)$")  # StatefulSet pods are named NAME-ORDINAL


class _Named(Protocol):
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=_Named)


def _weight(journey_name: str, shard_index: int) -> int:
    # blake2b, not hash(): Python salts str hashes per process (PYTHONHASHSEED).
    key = f"{shard_index}/{journey_name}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def shard_of(journey_name: str, count: int) -> int:
    """The 1-based shard of `count` that runs `journey_name`."""
    if count < 1:
        raise ValueError(f"a shard count must be 1 or more, not {count}")
    return max(range(1, count + 1), key=lambda index: _weight(journey_name, index))


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count`, counted from 1: `Shard(2, 3)` is "2/3".

    `Shard(1, 1)`, the default, takes every journey.
    """

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ConfigError(f"shard {self}: N, the number of shards, must be 1 or more")
        if not 1 <= self.index <= self.count:
            n = self.count
            raise ConfigError(
                f"shard {self}: K counts from 1 to N, so with {n} shard{'s' * (n != 1)} "
                f"write {'1/1' if n == 1 else f'1/{n} up to {n}/{n}'}"
            )

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`"2/3"` → `Shard(2, 3)`; a ConfigError that says how to write it otherwise."""
        match = _SHARD.match(text)
        if match is None:
            raise ConfigError(
                f"shard {text!r}: write K/N with whole numbers, e.g. 2/3 for the second of "
                "three shards"
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Shard:
        """The shard named by the environment; `Shard(1, 1)` (every journey) when none is.

        - `CHECKOUT_MONITOR_SHARD=K/N` names it outright.
        - Otherwise `CHECKOUT_MONITOR_SHARDS=N` takes K from the StatefulSet pod's ordinal,
          the number ending its name, which Kubernetes puts in `HOSTNAME`: pod
          `checkout-monitor-0` is shard 1/N, `checkout-monitor-2` is shard 3/N. A pod whose
          ordinal is N or more (replicas raised without raising N) is an error, not a shard
          that silently runs nothing or runs another shard's journeys twice.
        """
        explicit = env.get(SHARD_ENV, "").strip()
        count_text = env.get(SHARDS_ENV, "").strip()
        count = _count(count_text) if count_text else None
        if explicit:
            shard = cls.parse(explicit)
            if count is not None and count != shard.count:
                raise ConfigError(
                    f"{SHARD_ENV}={explicit} and {SHARDS_ENV}={count_text} disagree on the "
                    f"number of shards; set one of them"
                )
            return shard
        if count is None:
            return cls(1, 1)
        hostname = env.get("HOSTNAME", "")
        ordinal = _ORDINAL.search(hostname)
        if ordinal is None:
            raise ConfigError(
                f"{SHARDS_ENV}={count_text} takes the shard from a StatefulSet pod's ordinal, "
                f"but HOSTNAME={hostname!r} does not end in -NUMBER; set {SHARD_ENV}=K/N instead"
            )
        index = int(ordinal.group(1)) + 1
        if index > count:
            raise ConfigError(
                f"pod {hostname!r} has ordinal {index - 1}, but {SHARDS_ENV}={count} allows "
                f"ordinals 0 to {count - 1}: make the StatefulSet's replicas and "
                f"{SHARDS_ENV} the same number"
            )
        return cls(index, count)

    def takes(self, journey_name: str) -> bool:
        """Whether this shard runs the journey called `journey_name`."""
        return self.count == 1 or shard_of(journey_name, self.count) == self.index

    def select(self, journeys: Iterable[N]) -> list[N]:
        """The journeys this shard runs, in their given order."""
        return [journey for journey in journeys if self.takes(journey.name)]


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"{SHARDS_ENV}={text!r}: write the number of shards, 1 or more")
    return int(text)
