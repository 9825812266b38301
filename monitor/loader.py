"""Read journey files: YAML with positions, `${ENV}` interpolation, and errors that teach.

Every problem in every file is collected and raised together as one JourneyError, each located
as `file:line:column: path: what is wrong (what is allowed)`:

    >>> load_journeys(["journeys/"], env=os.environ)        # doctest: +SKIP
    [Journey(name='demo-guest-checkout', ...), ...]
    journeys/checkout.yaml:14:9: steps[3].click: unknown key 'rol' (did you mean 'role'?) ...
"""

from __future__ import annotations

import difflib
import os
import re
import typing
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from monitor.errors import JourneyError, Problem
from monitor.journey import (
    ACTIONS,
    COMMON_STEP_KEYS,
    STEP_TYPES,
    Journey,
    Target,
    step_action,
)
from monitor.run_values import RUN_VALUE_BODY, TOTP_PREFIX, run_value_problem, totp_secret_problem

JOURNEY_SUFFIXES = (".yaml", ".yml")
PathKey = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)
_PLAIN_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map", "tag:yaml.org,2002:omap"}
_VAR = re.compile(r"\$\$|\$\{([^}]*)\}")
_VAR_BODY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.DOTALL)


@dataclass
class _Document:
    """A parsed file: plain data plus where each value sits in the text."""

    file: str
    data: Any = None
    marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    used_vars: dict[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    unset: list[tuple[PathKey, str]] = field(default_factory=list)  # may be remembered names
    totp: dict[str, str] = field(default_factory=dict)  # `${totp:NAME}` secrets by NAME

    def where(self, path: PathKey) -> tuple[int, int]:
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (1, 1))

    def problem(self, path: PathKey, message: str) -> None:
        line, column = self.where(path)
        self.problems.append(Problem(self.file, line, column, format_path(path), message))


def format_path(path: Iterable[str | int]) -> str:
    """`('steps', 3, 'click')` → `steps[3].click`."""
    text = ""
    for part in path:
        if isinstance(part, str) and part.startswith("#"):
            continue  # position markers, not part of the path
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


# ---------------------------------------------------------------- YAML with positions


def _parse(text: str, doc: _Document) -> None:
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = getattr(exc, "problem", None) or str(exc)
        doc.problems.append(Problem(doc.file, line, column, "", f"YAML syntax error: {reason}"))
        return
    nodes = [n for n in nodes if n is not None]
    if len(nodes) > 1:
        second = nodes[1].start_mark
        doc.problems.append(
            Problem(
                doc.file,
                second.line + 1,
                second.column + 1,
                "",
                "one YAML document per file; put several journeys in a list under `journeys:`",
            )
        )
        return
    if nodes:
        doc.data = _build(nodes[0], (), doc, set())
    remembered = set(_remembered(doc.data))
    for path, name in doc.unset:
        if name not in remembered:
            doc.problem(
                (*path, "#value"),
                f"environment variable {name} is not set; set it, or give a default: "
                f"${{{name}:-value}} (or remember it in an earlier step)",
            )


def _remembered(data: Any) -> Iterator[str]:
    """Names that `remember` steps anywhere in the document set at run time."""
    if isinstance(data, dict):
        if isinstance(data.get("remember"), dict):
            yield from (str(k) for k in data["remember"])
        for value in data.values():
            yield from _remembered(value)
    elif isinstance(data, list):
        for value in data:
            yield from _remembered(value)


def _build(node: yaml.Node, path: PathKey, doc: _Document, active: set[int]) -> Any:
    doc.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if id(node) in active:
        doc.problem(path, "recursive YAML alias; write the value out")
        return None
    if isinstance(node, yaml.ScalarNode):
        try:
            value = yaml.SafeLoader("").construct_object(node)
        except yaml.YAMLError as exc:
            doc.problem(path, f"cannot read this value: {getattr(exc, 'problem', exc)}")
            return None
        return _interpolate(value, path, doc) if isinstance(value, str) else value
    active = active | {id(node)}
    if node.tag not in _PLAIN_TAGS:
        doc.problem(path, f"cannot read this value: YAML tag '{node.tag}' is not supported")
        return None
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), doc, active) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        return _build_mapping(node, path, doc, active)
    doc.problem(path, "unsupported YAML node")
    return None


def _build_mapping(node: yaml.MappingNode, path: PathKey, doc: _Document, active: set[int]) -> Any:
    own_keys = {id(key) for key, _ in node.value}
    try:
        yaml.SafeLoader("").flatten_mapping(node)  # resolves `<<: *anchor` merges
    except yaml.YAMLError as exc:
        doc.problem(path, f"bad YAML merge: {getattr(exc, 'problem', exc)}")
        return None
    result: dict[str, Any] = {}
    seen_own: set[str] = set()
    for key_node, value_node in node.value:
        key_mark = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        if not isinstance(key_node, yaml.ScalarNode):
            doc.marks.setdefault((*path, "?"), key_mark)
            doc.problem((*path, "?"), "a key must be plain text, not a list or mapping")
            continue
        key = str(key_node.value)
        if id(key_node) in own_keys:
            if key in seen_own:
                doc.marks[(*path, key, "#dup")] = key_mark
                doc.problem((*path, key, "#dup"), f"key '{key}' appears twice; keep one")
                continue
            seen_own.add(key)
        child_path = (*path, key)
        doc.marks[child_path] = key_mark
        # Point errors about a value at the value, errors about a key at the key.
        doc.marks[(*child_path, "#value")] = (
            value_node.start_mark.line + 1,
            value_node.start_mark.column + 1,
        )
        result[key] = _build(value_node, child_path, doc, active)  # own keys override merged
    return result


def _interpolate(text: str, path: PathKey, doc: _Document) -> str:
    """`${VAR}`, `${VAR:-default}`; `$$` is a literal `$`. Missing with no default: a problem."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        if RUN_VALUE_BODY.match(match.group(1)):
            _run_value(match.group(1), path, doc)
            return match.group(0)  # filled in when the step runs
        body = _VAR_BODY.match(match.group(1))
        if body is None:
            doc.problem(
                (*path, "#value"),
                f"bad variable '${{{match.group(1)}}}'; write ${{NAME}} or ${{NAME:-default}}",
            )
            return ""
        name, default = body.group(1), body.group(2)
        value = doc.env.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                doc.unset.append((path, name))  # fine if a `remember` step sets it at run time
                return match.group(0)
            value = default
        doc.used_vars[name] = value
        return value

    return _VAR.sub(replace, text)


def _run_value(body: str, path: PathKey, doc: _Document) -> None:
    """Check a per-run value (filled in when the step runs); a TOTP secret is read now."""
    problem = run_value_problem(body)
    if problem is not None:
        doc.problem((*path, "#value"), problem)
    if not body.startswith(TOTP_PREFIX):
        return
    name = body[len(TOTP_PREFIX) :]
    secret = doc.env.get(name)
    if not secret:
        doc.problem(
            (*path, "#value"),
            f"environment variable {name} (the TOTP secret for ${{totp:{name}}}) is not set; "
            "set it to the base32 secret the shop gave when two-factor sign-in was set up",
        )
    elif (why := totp_secret_problem(secret)) is not None:
        doc.problem((*path, "#value"), f"environment variable {name} {why}")
    else:
        doc.totp[name] = secret


# ---------------------------------------------------------------- validation


def _model_for(
    path: typing.Sequence[str | int], data: Any, root: type[BaseModel] = Journey
) -> type[BaseModel] | None:
    """The model that validates the mapping at `path` (for listing its allowed keys)."""
    model: type[BaseModel] | None = root
    value = data
    in_steps = False
    for part in path:
        if isinstance(part, int):
            value = value[part] if isinstance(value, list) and part < len(value) else None
            if in_steps:
                action = step_action(value)
                model = STEP_TYPES[action] if action else None
                in_steps = False
            continue
        info = model.model_fields.get(part) if model is not None else None
        value = value.get(part) if isinstance(value, dict) else None
        if info is None:
            return None
        in_steps = model is Journey and part == "steps"
        model = _model_in(info.annotation)
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _data_path(loc: tuple[str | int, ...], data: Any) -> PathKey:
    """Keep the parts of a pydantic `loc` that exist in the data (drops union tags)."""
    path: list[str | int] = []
    value = data
    for part in loc:
        if isinstance(value, dict) and part in value:
            value = value[part]
            path.append(part)
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
            path.append(part)
    return tuple(path)


def _step_problem(step: Any) -> str:
    if not isinstance(step, dict):
        return f"a step is a mapping such as `- goto: /`; one of: {', '.join(ACTIONS)}"
    actions = [k for k in step if k in STEP_TYPES]
    if len(actions) > 1:
        return (
            f"one action per step, found {' and '.join(repr(a) for a in actions)}; "
            "split them into separate steps"
        )
    unknown = [k for k in step if k not in COMMON_STEP_KEYS]
    if unknown:
        hint = difflib.get_close_matches(unknown[0], ACTIONS, n=1, cutoff=0.5)
        did = f" (did you mean '{hint[0]}'?)" if hint else ""
        return f"unknown step action '{unknown[0]}'{did}; one of: {', '.join(ACTIONS)}"
    return f"this step has no action; add one of: {', '.join(ACTIONS)}"


def _validation_problems(
    exc: ValidationError,
    data: Any,
    doc: _Document,
    base: PathKey,
    known: set[str],
    root: type[BaseModel] = Journey,
) -> None:
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        path = (*base, *_data_path(loc, data))
        if format_path(path) in known:
            continue  # already reported (e.g. a missing variable left this value empty)
        kind = error["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            model = _model_for(_data_path(loc[:-1], data), data, root)
            allowed = sorted(model.model_fields) if model else []
            hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            message = f"unknown key '{key}'"
            message += f" (did you mean '{hint[0]}'?)" if hint else ""
            if allowed:
                message += f"; allowed here: {', '.join(allowed)}"
            doc.problem((*path, key) if path[-1:] != (key,) else path, message)
            continue
        if kind == "step_action":
            doc.problem(path, _step_problem(error["input"]))
            continue
        if kind == "model_type":
            model = _model_for(_data_path(loc, data), data, root)
            if model is not None and issubclass(model, Target):
                message = (
                    "expected a selector such as '#pay', or a target such as "
                    "{role: button, name: Pay now}"
                )
            else:
                message = "expected a mapping" + (
                    f" with keys from: {', '.join(model.model_fields)}" if model else ""
                )
            doc.problem((*path, "#value"), f"{message} (got {_short(error['input'])})")
            continue
        if kind == "missing":
            line, column = doc.where(path)
            doc.problems.append(
                Problem(
                    doc.file,
                    line,
                    column,
                    format_path((*path, loc[-1])),
                    f"'{loc[-1]}' is required here",
                )
            )
            continue
        message = error["msg"]
        if kind.endswith("_type") or kind in {"literal_error", "string_pattern_mismatch"}:
            message = f"{message} (got {_short(error['input'])})"
        doc.problem((*path, "#value"), message)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _journey_mappings(doc: _Document) -> Iterator[tuple[PathKey, Any]]:
    data = doc.data
    if data is None:
        doc.problems.append(
            Problem(
                doc.file,
                1,
                1,
                "",
                "the file is empty; a journey needs at least name, base_url and steps",
            )
        )
        return
    if not isinstance(data, dict):
        doc.problem(
            (),
            "a journey file holds a mapping (name:, base_url:, steps:) or "
            "`journeys:` with a list of them",
        )
        return
    if "journeys" not in data:
        yield (), data
        return
    others = [k for k in data if k != "journeys"]
    if others:
        doc.problem(
            (others[0],),
            f"unknown key '{others[0]}' beside `journeys:`; put journey "
            "settings inside each journey of the list",
        )
    journeys = data["journeys"]
    if not isinstance(journeys, list) or not journeys:
        doc.problem(("journeys", "#value"), "`journeys:` takes a non-empty list of journeys")
        return
    for index, item in enumerate(journeys):
        yield ("journeys", index), item


def load_model(path: Path, model: type[M], env: Mapping[str, str]) -> M:
    """Any YAML file into a pydantic model, with the same file:line problems as journeys."""
    doc = _Document(str(path), env=env)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise JourneyError(
            [Problem(doc.file, 1, 1, "", f"cannot read the file: {reason}")]
        ) from None
    _parse(text, doc)
    if not doc.problems:
        try:
            return model.model_validate(doc.data if doc.data is not None else {})
        except ValidationError as exc:
            _validation_problems(exc, doc.data, doc, (), set(), model)
    raise JourneyError(sorted(doc.problems, key=lambda p: (p.line, p.column)))


def load_file(
    path: Path,
    env: Mapping[str, str],
    devices: Collection[str] | None = None,
    display: str | None = None,
) -> tuple[list[Journey], list[Problem]]:
    """Every journey in one file, and every problem found in it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return [], [Problem(display or str(path), 1, 1, "", f"cannot read the file: {reason}")]
    return load_text(text, display or str(path), env, devices)


def load_text(
    text: str, source: str, env: Mapping[str, str], devices: Collection[str] | None = None
) -> tuple[list[Journey], list[Problem]]:
    """Every journey in YAML text, and every problem found in it; `source` names the text in
    problems (`<string>:3:7: ...`)."""
    doc = _Document(source, env=env)
    _parse(text, doc)
    if doc.data is None and doc.problems:
        return [], doc.problems  # unreadable YAML: nothing more to say
    known = {p.path for p in doc.problems}
    journeys: list[Journey] = []
    for base, data in _journey_mappings(doc):
        if not isinstance(data, dict):
            doc.problem((*base, "#value"), "a journey is a mapping with name, base_url and steps")
            continue
        names = data.get("secrets")
        secret_names: list[Any] = names if isinstance(names, list) else []
        secret_values = [
            doc.used_vars.get(n) or env.get(n) for n in secret_names if isinstance(n, str)
        ]
        line, column = doc.where((*base, "name"))
        context = {
            "devices": devices,
            "secret_values": sorted({v for v in secret_values if v}, key=len, reverse=True),
            "origin": f"{doc.file}:{line}:{column}",
            "totp_secrets": doc.totp,
        }
        try:
            journeys.extend(Journey.model_validate(data, context=context).expand())
        except ValidationError as exc:
            _validation_problems(exc, data, doc, base, known)
    return journeys, sorted(doc.problems, key=lambda p: (p.line, p.column))


def journey_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Expand files and folders into journey files, sorted within each folder."""
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            # Hidden files and folders are skipped: editors' swap files, and the `..data`
            # copies a Kubernetes ConfigMap volume links to.
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix in JOURNEY_SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                problems.append(
                    Problem(str(path), 1, 1, "", "no journey files (*.yaml, *.yml) in this folder")
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), 1, 1, "", "no such file or folder"))
    return list(dict.fromkeys(files)), problems


def load_journeys(
    paths: Iterable[str | Path],
    env: Mapping[str, str] | None = None,
    devices: Collection[str] | None = None,
) -> list[Journey]:
    """Load and validate every journey under `paths`; raise JourneyError listing all problems."""
    env = os.environ if env is None else env
    files, problems = journey_files(paths)
    journeys: list[Journey] = []
    first_seen: dict[str, Journey] = {}
    for file in files:
        found, file_problems = load_file(file, env, devices)
        problems.extend(file_problems)
        for journey in found:
            if journey.name in first_seen:
                file_name, line, column = journey.origin.rsplit(":", 2)
                problems.append(
                    Problem(
                        file_name,
                        int(line),
                        int(column),
                        "name",
                        f"journey name '{journey.name}' is already used at "
                        f"{first_seen[journey.name].origin}; names must be unique",
                    )
                )
                continue
            first_seen[journey.name] = journey
            journeys.append(journey)
    if problems:
        raise JourneyError(problems)
    return journeys
