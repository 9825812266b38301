"""Shards: every journey in exactly one shard, an even split, few moves when N grows, and the
same answer in every process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass

import pytest

from monitor.errors import ConfigError
from monitor.shard import Shard, shard_of

NAMES_500 = [f"journey-{i}" for i in range(500)]
NAMES_1000 = [f"shop-{i}-checkout" for i in range(1000)]


@dataclass(frozen=True)
class Named:
    name: str


def test_every_journey_lands_in_exactly_one_shard() -> None:
    for count in range(1, 7):
        shards = [Shard(index, count) for index in range(1, count + 1)]
        for name in NAMES_500:
            assert sum(shard.takes(name) for shard in shards) == 1, (name, count)


def test_select_keeps_what_the_shard_takes_in_order() -> None:
    journeys = [Named(name) for name in NAMES_500[:40]]
    parts = [Shard(index, 3).select(journeys) for index in (1, 2, 3)]
    assert sorted((j.name for part in parts for j in part), key=NAMES_500.index) == [
        j.name for j in journeys
    ]
    for part in parts:
        assert part == sorted(part, key=journeys.index)


def test_one_shard_takes_everything() -> None:
    journeys = [Named(name) for name in NAMES_500]
    assert Shard(1, 1).select(journeys) == journeys


def test_the_split_is_roughly_even() -> None:
    # Measured with this hash over these 500 names: the worst shard is 21% off its fair share
    # (N=5: 88..121 of 100); a split by hash() % N or a broken weight would be far worse.
    for count in range(2, 7):
        sizes = Counter(shard_of(name, count) for name in NAMES_500)
        fair = len(NAMES_500) / count
        assert set(sizes) == set(range(1, count + 1))
        for index, size in sizes.items():
            assert abs(size - fair) / fair < 0.25, (count, index, sizes)


@pytest.mark.parametrize("count", range(1, 7))
def test_adding_a_shard_moves_about_one_in_n_plus_one(count: int) -> None:
    before = {name: shard_of(name, count) for name in NAMES_1000}
    after = {name: shard_of(name, count + 1) for name in NAMES_1000}
    moved = [name for name in NAMES_1000 if before[name] != after[name]]
    share = len(moved) / len(NAMES_1000)
    # Measured: 0.487, 0.330, 0.248, 0.220, 0.164, 0.120 for N = 1..6 (ideal 1/(N+1)).
    assert 0.5 / (count + 1) < share < 1.5 / (count + 1), share
    # Rendezvous hashing moves a journey only to the new shard, never between old ones.
    assert {after[name] for name in moved} == {count + 1}


def test_assignments_are_fixed_forever() -> None:
    # Computed once with blake2b; a change here reshuffles every deployment's journeys.
    expected = {
        "guest-checkout": (2, 2, 2),
        "guest-checkout-phone": (2, 2, 5),
        "pickup-point": (1, 1, 5),
        "product-info": (1, 3, 5),
        "express-checkout": (1, 3, 5),
        "gift-card": (2, 2, 2),
    }
    for name, shards in expected.items():
        assert tuple(shard_of(name, count) for count in (2, 3, 5)) == shards, name


def test_assignments_do_not_depend_on_the_process_hash_seed() -> None:
    code = (
        "from monitor.shard import shard_of\n"
        "print([shard_of(f'journey-{i}', 4) for i in range(200)])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "random")
    }
    assert outputs == {str([shard_of(f"journey-{i}", 4) for i in range(200)]) + "\n"}


def test_parse_reads_k_of_n() -> None:
    assert Shard.parse("2/3") == Shard(2, 3)
    assert Shard.parse(" 1 / 1 ") == Shard(1, 1)
    assert str(Shard.parse("3/5")) == "3/5"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3/2", "shard 3/2: K counts from 1 to N, so with 2 shards write 1/2 up to 2/2"),
        ("0/2", "shard 0/2: K counts from 1 to N, so with 2 shards write 1/2 up to 2/2"),
        ("0/1", "with 1 shard write 1/1"),
        ("1/0", "shard 1/0: N, the number of shards, must be 1 or more"),
        ("a/b", "shard 'a/b': write K/N with whole numbers, e.g. 2/3"),
        ("2", "shard '2': write K/N"),
        ("-1/2", "write K/N with whole numbers"),
        ("", "write K/N"),
    ],
)
def test_parse_errors_say_how_to_write_it(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Shard.parse(text)
    assert message in str(caught.value)


def test_no_shard_in_the_environment_takes_everything() -> None:
    assert Shard.from_env({}) == Shard(1, 1)
    assert Shard.from_env({"HOSTNAME": "checkout-monitor-2"}) == Shard(1, 1)


def test_shard_from_the_environment() -> None:
    assert Shard.from_env({"CHECKOUT_MONITOR_SHARD": "2/4"}) == Shard(2, 4)
    # Named outright, the pod's name does not matter.
    env = {"CHECKOUT_MONITOR_SHARD": "1/3", "HOSTNAME": "checkout-monitor-2"}
    assert Shard.from_env(env) == Shard(1, 3)


@pytest.mark.parametrize(
    ("hostname", "shard"),
    [
        ("checkout-monitor-0", Shard(1, 3)),
        ("checkout-monitor-2", Shard(3, 3)),
        ("checkout-monitor-eu-west-1", Shard(2, 3)),  # one StatefulSet per location
    ],
)
def test_shard_from_a_statefulset_pod_ordinal(hostname: str, shard: Shard) -> None:
    env = {"CHECKOUT_MONITOR_SHARDS": "3", "HOSTNAME": hostname}
    assert Shard.from_env(env) == shard


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"CHECKOUT_MONITOR_SHARDS": "3", "HOSTNAME": "checkout-monitor-3"},
            "pod 'checkout-monitor-3' has ordinal 3, but CHECKOUT_MONITOR_SHARDS=3 allows "
            "ordinals 0 to 2: make the StatefulSet's replicas and CHECKOUT_MONITOR_SHARDS "
            "the same number",
        ),
        (
            {"CHECKOUT_MONITOR_SHARDS": "3", "HOSTNAME": "laptop"},
            "HOSTNAME='laptop' does not end in -NUMBER; set CHECKOUT_MONITOR_SHARD=K/N instead",
        ),
        ({"CHECKOUT_MONITOR_SHARDS": "3"}, "HOSTNAME=''"),
        ({"CHECKOUT_MONITOR_SHARDS": "zero"}, "CHECKOUT_MONITOR_SHARDS='zero': write the number"),
        ({"CHECKOUT_MONITOR_SHARDS": "0"}, "1 or more"),
        ({"CHECKOUT_MONITOR_SHARD": "4/3"}, "shard 4/3"),
        (
            {"CHECKOUT_MONITOR_SHARD": "1/2", "CHECKOUT_MONITOR_SHARDS": "3"},
            "CHECKOUT_MONITOR_SHARD=1/2 and CHECKOUT_MONITOR_SHARDS=3 disagree",
        ),
    ],
)
def test_environment_errors_name_the_variable_and_the_fix(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Shard.from_env(env)
    assert message in str(caught.value)
