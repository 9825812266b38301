"""Loading journey files: every bad file gets file:line:column, the path, and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.cli import main
from monitor.errors import JourneyError
from monitor.loader import format_path, load_file, load_journeys

DEVICES = ["Desktop Chrome", "iPhone 13", "Pixel 7"]
GOOD = """\
name: shop-checkout
base_url: http://127.0.0.1:8080
steps:
  - goto: /
"""

# (case id, file text, expected line, expected path, text the message must contain)
BAD_FILES = [
    ("syntax-error", "name: [shop\nsteps: x\n", 2, "", "YAML syntax error"),
    ("tab-indent", "name: a\nsteps:\n\t- goto: /\n", 3, "", "YAML syntax error"),
    ("unknown-top-key", GOOD + "selecter: x\n", 5, "selecter", "unknown key 'selecter'"),
    (
        "typo-budget-key",
        GOOD + "budgets: {click: 3}\n",
        5,
        "budgets.click",
        "did you mean 'clicks'",
    ),
    (
        "unknown-target-key",
        GOOD + "  - click: {rol: button, name: Pay}\n",
        5,
        "steps[1].click.rol",
        "did you mean 'role'",
    ),
    ("unknown-step", GOOD + "  - clik: '#pay'\n", 5, "steps[1]", "did you mean 'click'"),
    ("two-actions", GOOD + "  - goto: /\n    click: '#x'\n", 5, "steps[1]", "one action per step"),
    ("no-action", GOOD + "  - name: pay\n", 5, "steps[1]", "has no action"),
    ("step-not-mapping", GOOD + "  - just text\n", 5, "steps[1]", "a step is a mapping"),
    ("missing-target", GOOD + "  - click:\n", 5, "steps[1].click", "expected a selector"),
    ("empty-target", GOOD + "  - click: ''\n", 5, "steps[1].click", "must not be empty"),
    (
        "two-target-kinds",
        GOOD + "  - click: {text: Pay, label: Pay}\n",
        5,
        "steps[1].click",
        "exactly one of",
    ),
    (
        "unknown-role",
        GOOD + "  - click: {role: buton, name: Pay}\n",
        5,
        "steps[1].click.role",
        "did you mean 'button'",
    ),
    (
        "name-without-role",
        GOOD + "  - click: {text: Pay, name: Pay}\n",
        5,
        "steps[1].click",
        "'name' goes with 'role'",
    ),
    ("wrong-type", GOOD + "retries: many\n", 5, "retries", "valid integer"),
    ("bad-duration", GOOD + "every: 5 parsecs\n", 5, "every", "not a duration"),
    ("negative-duration", GOOD + "timeout: -3\n", 5, "timeout", "negative"),
    ("too-frequent", GOOD + "every: 100ms\n", 5, "every", "at least 1s"),
    ("bad-device", GOOD + "device: iPhone 99\n", 5, "device", "unknown device"),
    (
        "missing-env-var",
        GOOD.replace("http://127.0.0.1:8080", "${SHOP_URL_UNSET}"),
        2,
        "base_url",
        "SHOP_URL_UNSET is not set",
    ),
    ("bad-env-syntax", GOOD.replace("/\n", "/${not valid}\n"), 4, "steps[0].goto", "bad variable"),
    (
        "empty-steps",
        GOOD.replace("  - goto: /\n", "").replace("steps:", "steps: []"),
        3,
        "steps",
        "at least 1 item",
    ),
    ("missing-steps", "name: a\nbase_url: http://x\n", 1, "steps", "'steps' is required"),
    ("missing-name", "base_url: http://x\nsteps: [{goto: /}]\n", 1, "name", "required"),
    (
        "bad-name",
        GOOD.replace("shop-checkout", "Shop Checkout!"),
        1,
        "name",
        "e.g. 'shop-checkout'",
    ),
    (
        "bad-url",
        GOOD.replace("http://127.0.0.1:8080", "ftp://shop"),
        2,
        "base_url",
        "not an http(s) URL",
    ),
    ("duplicate-key", GOOD + "every: 5m\nevery: 1m\n", 6, "every", "appears twice"),
    ("empty-file", "", 1, "", "the file is empty"),
    ("not-a-mapping", "- goto: /\n", 1, "", "holds a mapping"),
    ("expect-nothing", GOOD + "  - expect: {}\n", 5, "steps[1].expect", "at least one of"),
    (
        "wait-two-things",
        GOOD + "  - wait: {url: /a, load: load}\n",
        5,
        "steps[1].wait",
        "exactly one of",
    ),
    ("bad-load-state", GOOD + "  - wait: {load: idle}\n", 5, "steps[1].wait.load", "'networkidle'"),
    (
        "count-without-bound",
        GOOD + "  - expect: {count: {of: .item}}\n",
        5,
        "steps[1].expect.count",
        "equals, min or max",
    ),
    ("fill-list-value", GOOD + "  - fill: {'#qty': [1, 2]}\n", 5, "steps[1].fill", "valid string"),
    ("two-documents", GOOD + "---\n" + GOOD, 6, "", "one YAML document per file"),
    ("bad-secret-name", GOOD + "secrets: [card number]\n", 5, "secrets[0]", "pattern"),
    ("journeys-not-list", "journeys: {name: a}\n", 1, "journeys", "non-empty list"),
    (
        "optional-goto",
        GOOD + "  - goto: /cart\n    optional: true\n",
        5,
        "steps[1]",
        "'optional' goes with a step that acts on something",
    ),
    (
        "optional-payment",
        GOOD + "  - click: '#pay'\n    payment: true\n    optional: true\n",
        5,
        "steps[1]",
        "a payment or order confirmation step cannot be optional",
    ),
    ("dismiss-no-target", GOOD + "dismiss: [{nth: 1}]\n", 5, "dismiss[0]", "exactly one of"),
    (
        "python-tag",
        GOOD + "tags: !!python/object:os.system [ls]\n",
        5,
        "tags",
        "cannot read this value",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "path", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_FILES],
)
def test_bad_journey_file_is_reported_with_place_and_fix(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    line: int,
    path: str,
    message: str,
) -> None:
    file = tmp_path / "journey.yaml"
    file.write_text(text)

    code = main(
        ["validate", "--no-devices", str(file)]
        if "device" not in message
        else ["validate", str(file)]
    )

    err = capsys.readouterr().err
    assert code == 2
    assert f"{file}:{line}:" in err
    if path:
        assert f": {path}: " in err
    assert message in err
    assert "Traceback" not in err


def test_there_are_at_least_twenty_distinct_bad_file_cases() -> None:
    assert len({case[0] for case in BAD_FILES}) >= 20


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD + "every: often\n  \n" + "retries: x\n")
    (tmp_path / "b.yaml").write_text(GOOD.replace("shop-checkout", "b") + "selecter: y\n")

    with pytest.raises(JourneyError) as caught:
        load_journeys([tmp_path], env={})

    places = [(Path(p.file).name, p.path) for p in caught.value.problems]
    assert places == [("a.yaml", "every"), ("a.yaml", "retries"), ("b.yaml", "selecter")]


def test_duplicate_names_across_files_name_both_places(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text("# copy\n" + GOOD)

    with pytest.raises(JourneyError) as caught:
        load_journeys([tmp_path], env={})

    (problem,) = caught.value.problems
    assert problem.file.endswith("b.yaml") and problem.line == 2
    assert "already used at" in problem.message and "a.yaml:1:1" in problem.message


def test_several_journeys_in_one_file(tmp_path: Path) -> None:
    file = tmp_path / "many.yaml"
    file.write_text(
        "journeys:\n"
        "  - {name: one, base_url: 'http://127.0.0.1:1', steps: [{goto: /}]}\n"
        "  - {name: two, base_url: 'http://127.0.0.1:1', steps: [{goto: /}, {goto: /a}]}\n"
    )

    journeys = load_journeys([file], env={})

    assert [(j.name, len(j.steps)) for j in journeys] == [("one", 1), ("two", 2)]
    assert journeys[1].origin == f"{file}:3:6"


def test_environment_fills_variables_and_defaults(tmp_path: Path) -> None:
    file = tmp_path / "j.yaml"
    file.write_text(
        "name: env\nbase_url: ${SHOP:-http://127.0.0.1:9}\nsteps:\n"
        "  - fill: {'#card': '${CARD}', '#price': 'costs $$5'}\n"
    )

    (journey,) = load_journeys([file], env={"CARD": "4242"})

    assert journey.base_url == "http://127.0.0.1:9"
    assert [(f.selector, f.value) for f in journey.steps[0].fill] == [  # type: ignore[union-attr]
        ("#card", "4242"),
        ("#price", "costs $5"),
    ]


def test_secret_values_come_from_the_variables_named(tmp_path: Path) -> None:
    file = tmp_path / "j.yaml"
    file.write_text(
        "name: s\nbase_url: http://127.0.0.1:9\nsecrets: [CARD, PASSWORD]\nsteps:\n"
        "  - fill: {'#card': '${CARD:-4000000000000002}', '#pw': '${PASSWORD}'}\n"
    )

    (journey,) = load_journeys([file], env={"PASSWORD": "hunter22"})

    assert set(journey.secret_values) == {"4000000000000002", "hunter22"}


def test_yaml_anchors_and_merges_work(tmp_path: Path) -> None:
    file = tmp_path / "j.yaml"
    file.write_text(
        "journeys:\n"
        "  - &base {name: a, base_url: 'http://127.0.0.1:1', steps: [{goto: /}]}\n"
        "  - <<: *base\n    name: b\n"
    )

    assert [j.name for j in load_journeys([file], env={})] == ["a", "b"]


def test_missing_path_and_empty_folder_are_problems(tmp_path: Path) -> None:
    with pytest.raises(JourneyError) as caught:
        load_journeys([tmp_path / "nope.yaml", tmp_path], env={})

    messages = [p.message for p in caught.value.problems]
    assert messages == ["no such file or folder", "no journey files (*.yaml, *.yml) in this folder"]


def test_format_path_reads_like_the_yaml() -> None:
    assert format_path(("steps", 3, "click", "#value")) == "steps[3].click"
    assert format_path(("journeys", 0, "budgets", "clicks")) == "journeys[0].budgets.clicks"


yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["goto", "click", "${X}", "${X:-y}", "5m", "role", "/", "#pay"]),
)
keys = st.one_of(
    st.sampled_from(
        [
            "name",
            "base_url",
            "steps",
            "click",
            "goto",
            "fill",
            "role",
            "journeys",
            "budgets",
            "every",
            "expect",
            "wait",
            "frame",
            "value",
            "secrets",
        ]
    ),
    st.text(max_size=8),
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=yaml_values)
def test_random_yaml_documents_never_raise(tmp_path: Path, document: object) -> None:
    file = tmp_path / "fuzz.yaml"
    file.write_text(yaml.safe_dump(document))

    journeys, problems = load_file(file, env={"X": "1"}, devices=DEVICES)

    assert journeys or problems
    assert all(p.line >= 1 and p.column >= 1 for p in problems)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200))
def test_random_text_never_raises(tmp_path: Path, text: str) -> None:
    file = tmp_path / "fuzz.yaml"
    file.write_text(text, encoding="utf-8")

    journeys, problems = load_file(file, env={}, devices=DEVICES)

    assert journeys or problems
