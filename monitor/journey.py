"""The journey language: what a shopper does, and what counts as success.

A journey is plain, validated data. Reading YAML, `${ENV}` interpolation and file:line errors live
in loader.py; running it lives in runner.py. This module imports neither YAML nor Playwright.

    >>> j = Journey.model_validate({
    ...     "name": "guest-checkout", "base_url": "http://127.0.0.1:8080",
    ...     "steps": [{"goto": "/"}, {"click": {"role": "link", "name": "Trail Runner"}}],
    ... })
    >>> j.steps[1].click.role, j.every
    ('link', 300.0)
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Collection
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetJsonSchemaHandler,
    PrivateAttr,
    Tag,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError
from pytimeparse2 import parse as _parse_timespan

from monitor.run_values import RunValues

# ARIA roles Playwright's get_by_role accepts.
ROLES = (
    "alert",
    "alertdialog",
    "application",
    "article",
    "banner",
    "blockquote",
    "button",
    "caption",
    "cell",
    "checkbox",
    "code",
    "columnheader",
    "combobox",
    "complementary",
    "contentinfo",
    "definition",
    "deletion",
    "dialog",
    "directory",
    "document",
    "emphasis",
    "feed",
    "figure",
    "form",
    "generic",
    "grid",
    "gridcell",
    "group",
    "heading",
    "img",
    "insertion",
    "link",
    "list",
    "listbox",
    "listitem",
    "log",
    "main",
    "marquee",
    "math",
    "menu",
    "menubar",
    "menuitem",
    "menuitemcheckbox",
    "menuitemradio",
    "meter",
    "navigation",
    "none",
    "note",
    "option",
    "paragraph",
    "presentation",
    "progressbar",
    "radio",
    "radiogroup",
    "region",
    "row",
    "rowgroup",
    "rowheader",
    "scrollbar",
    "search",
    "searchbox",
    "separator",
    "slider",
    "spinbutton",
    "status",
    "strong",
    "subscript",
    "superscript",
    "switch",
    "tab",
    "table",
    "tablist",
    "tabpanel",
    "term",
    "textbox",
    "time",
    "timer",
    "toolbar",
    "tooltip",
    "tree",
    "treegrid",
    "treeitem",
)

NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


def parse_duration(value: object) -> float:
    """Seconds from `30s`, `5m`, `1h30m`, `500ms`, or a bare number of seconds."""
    if isinstance(value, bool):
        raise PydanticCustomError("duration", "expected a duration such as 30s, 5m or 1h")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (parsed := _parse_timespan(value.strip())) is not None:
        seconds = float(parsed)
    else:
        raise PydanticCustomError(
            "duration",
            "'{value}' is not a duration; write it like 30s, 5m, 1h30m or 500ms",
            {"value": value},
        )
    if seconds < 0:
        raise PydanticCustomError("duration", "a duration cannot be negative")
    return seconds


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\s*(\d+(\.\d+)?\s*(ms|s|m|h|d)\s*)+$"},
                {"type": "number", "minimum": 0},
            ],
            "description": "a duration: 30s, 5m, 1h30m, 500ms, or seconds as a number",
        }
    ),
]


class Model(BaseModel):
    """Strict-keyed, immutable base: an unknown key is a typo, not something to ignore."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _string_or(model_schema: JsonSchemaValue, description: str) -> JsonSchemaValue:
    return {"anyOf": [{"type": "string", "description": description}, model_schema]}


# ---------------------------------------------------------------- targets

TARGET_KINDS = ("selector", "role", "text", "label", "placeholder", "test_id", "alt", "title")


class Target(Model):
    """Something on the page the shopper acts on or looks at.

    A bare string is a Playwright selector (CSS, `text=...`, `xpath=...`). A mapping names the
    element the way a person would: `{role: button, name: Pay now}`, `{label: Email}`,
    `{test_id: checkout}`. `frame` reaches inside an iframe (a selector, or a list for nested
    frames), as payment providers put card fields in one.
    """

    selector: str | None = Field(None, description="CSS or any Playwright selector")
    role: str | None = Field(None, description="ARIA role, e.g. button, link, textbox")
    name: str | None = Field(None, description="accessible name, with role")
    text: str | None = Field(None, description="visible text")
    label: str | None = Field(None, description="text of the field's <label> or aria-label")
    placeholder: str | None = None
    test_id: str | None = Field(None, description="data-testid attribute")
    alt: str | None = Field(None, description="alt text of an image")
    title: str | None = Field(None, description="title attribute")
    exact: bool = Field(False, description="match name/text/label exactly, case-sensitive")
    has_text: str | None = Field(None, description="keep only elements containing this text")
    nth: int | None = Field(None, description="pick the n-th match (0-based; -1 = last)")
    frame: str | list[str] | None = Field(None, description="iframe selector(s) to reach inside")
    within: Target | None = Field(
        None,
        description="look only inside this element, e.g. the product card holding the "
        "button: {role: button, name: Add to cart, within: {test_id: product-42}}",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: object) -> object:
        if isinstance(data, str):
            return {"selector": data}
        return data

    @model_validator(mode="after")
    def _one_kind(self) -> Target:
        kinds = [k for k in TARGET_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            raise PydanticCustomError(
                "target",
                "a target needs exactly one of {allowed} (found: {found})",
                {"allowed": ", ".join(TARGET_KINDS), "found": found},
            )
        if self.name is not None and self.role is None:
            raise PydanticCustomError(
                "target", "'name' goes with 'role', e.g. {role: button, name: Pay}"
            )
        for key in ("selector", "text", "label", "test_id", "role"):
            value = getattr(self, key)
            if value is not None and not value.strip():
                raise PydanticCustomError("target", "{key} must not be empty", {"key": key})
        return self

    @field_validator("role")
    @classmethod
    def _known_role(cls, role: str | None) -> str | None:
        if role is not None and role not in ROLES:
            raise PydanticCustomError(
                "role",
                "unknown ARIA role '{role}'{hint}",
                {"role": role, "hint": _hint(role, ROLES)},
            )
        return role

    @property
    def frames(self) -> tuple[str, ...]:
        if self.frame is None:
            return ()
        return (self.frame,) if isinstance(self.frame, str) else tuple(self.frame)

    def describe(self) -> str:
        """Short human form used in step names and reasons: `button 'Pay now'`."""
        if self.role is not None:
            text = f"{self.role} {self.name!r}" if self.name else self.role
        else:
            kind = next(k for k in TARGET_KINDS if getattr(self, k) is not None)
            value = getattr(self, kind)
            text = value if kind == "selector" else f"{kind.replace('_', ' ')} '{value}'"
        if self.within is not None:
            text += f" in {self.within.describe()}"
        return text

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return _string_or(handler(core_schema), "a Playwright selector: CSS, text=..., xpath=...")


class FieldValue(Target):
    """A target plus the value to put in it (fill: text; select: option value or label)."""

    value: str = Field(description="text to type, or the option to choose")

    @field_validator("value", mode="before")
    @classmethod
    def _scalar(cls, value: object) -> object:
        return _scalar_text(value)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(core_schema)


def _scalar_text(value: object) -> object:
    # YAML reads `12345` as a number and `yes` as a bool; a shopper types text.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _field_values(data: object) -> object:
    """`{"#email": a, "#name": b}` → two FieldValues; `{label: Email, value: a}` → one."""
    if isinstance(data, dict):
        if "value" in data:
            return [data]
        return [{"selector": key, "value": value} for key, value in data.items()]
    return data


class _FieldValuesSchema:
    """In the schema, fill/select take selector: value pairs or one target with a value."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        as_list = handler(core_schema)
        pairs = {
            "type": "object",
            "description": "selector: value pairs",
            "additionalProperties": {"type": ["string", "number", "boolean"]},
        }
        return {"anyOf": [pairs, as_list["items"]]}


FieldValues = Annotated[list[FieldValue], BeforeValidator(_field_values), _FieldValuesSchema()]


# ---------------------------------------------------------------- steps


OPTIONAL_ACTIONS = ("click", "fill", "select", "check", "uncheck", "hover")


class StepBase(Model):
    """What every step may carry besides its action."""

    name: str | None = Field(None, description="the `step` label; default derived from the action")
    timeout: Duration | None = Field(None, description="overrides the journey's step timeout")
    frame: str | list[str] | None = Field(
        None, description="iframe selector(s) every target of this step is inside"
    )
    payment: bool = Field(False, description="a failure here is a payment failure")
    declined_text: list[str] = Field(
        default_factory=list, description="text that means the card was declined"
    )
    confirms_order: bool = Field(
        False, description="passing this step means the order is confirmed"
    )
    optional: bool = Field(
        False,
        description="skip the step when its target does not show within its timeout (an "
        "interstitial that comes only sometimes); give it a short `timeout`",
    )

    ACTION: ClassVar[str] = ""

    @model_validator(mode="after")
    def _optional_has_a_target(self) -> StepBase:
        if self.optional and self.ACTION not in OPTIONAL_ACTIONS:
            raise PydanticCustomError(
                "optional",
                "'optional' goes with a step that acts on something that may not be there "
                "({actions}), not with {action}",
                {"actions": ", ".join(OPTIONAL_ACTIONS), "action": self.ACTION},
            )
        if self.optional and (self.payment or self.confirms_order):
            raise PydanticCustomError(
                "optional", "a payment or order confirmation step cannot be optional"
            )
        return self

    def label(self) -> str:
        """The step's name for metrics and reports."""
        return self.name or self.default_name()

    def default_name(self) -> str:
        return self.ACTION


class GotoStep(StepBase):
    ACTION: ClassVar[str] = "goto"
    goto: str = Field(description="a path under base_url, or a full URL")

    def default_name(self) -> str:
        return f"goto {self.goto}"


class ClickStep(StepBase):
    ACTION: ClassVar[str] = "click"
    click: Target

    def default_name(self) -> str:
        return f"click {self.click.describe()}"


class FillStep(StepBase):
    ACTION: ClassVar[str] = "fill"
    fill: FieldValues

    def default_name(self) -> str:
        return "fill " + ", ".join(f.describe() for f in self.fill)


class SelectStep(StepBase):
    ACTION: ClassVar[str] = "select"
    select: FieldValues

    def default_name(self) -> str:
        return "select " + ", ".join(f"{f.describe()}={f.value}" for f in self.select)


class CheckStep(StepBase):
    ACTION: ClassVar[str] = "check"
    check: Target

    def default_name(self) -> str:
        return f"check {self.check.describe()}"


class UncheckStep(StepBase):
    ACTION: ClassVar[str] = "uncheck"
    uncheck: Target

    def default_name(self) -> str:
        return f"uncheck {self.uncheck.describe()}"


class KeyPress(Target):
    """A key pressed in a target (`{label: Search, key: Enter}`)."""

    key: str = Field(description="a key name such as Enter, Tab, ArrowDown, Control+A")

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(core_schema)


class PressStep(StepBase):
    ACTION: ClassVar[str] = "press"
    press: str | KeyPress = Field(description="a key for the focused element, or {target, key}")

    def default_name(self) -> str:
        if isinstance(self.press, str):
            return f"press {self.press}"
        return f"press {self.press.key} in {self.press.describe()}"


class HoverStep(StepBase):
    ACTION: ClassVar[str] = "hover"
    hover: Target

    def default_name(self) -> str:
        return f"hover {self.hover.describe()}"


LoadState = Literal["load", "domcontentloaded", "networkidle"]


class WaitFor(Model):
    """Wait until one thing is true: a target visible or hidden, a URL, a load state, or time."""

    visible: Target | None = None
    hidden: Target | None = None
    url: str | None = Field(None, description="URL contains this; glob with *, or re:REGEX")
    load: LoadState | None = None
    seconds: Duration | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: object) -> object:
        return {"visible": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _one_condition(self) -> WaitFor:
        _require_count(self, ("visible", "hidden", "url", "load", "seconds"), exactly_one=True)
        return self

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return _string_or(handler(core_schema), "a selector to wait for (visible)")


class WaitStep(StepBase):
    ACTION: ClassVar[str] = "wait"
    wait: WaitFor

    def default_name(self) -> str:
        w = self.wait
        if w.visible is not None:
            return f"wait for {w.visible.describe()}"
        if w.hidden is not None:
            return f"wait until {w.hidden.describe()} hidden"
        if w.url is not None:
            return f"wait for url {w.url}"
        if w.load is not None:
            return f"wait for {w.load}"
        return f"wait {w.seconds:g}s"


class CountOf(Model):
    """How many elements match `of`: `equals`, or between `min` and `max`."""

    of: Target
    equals: int | None = Field(None, ge=0)
    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _some_bound(self) -> CountOf:
        if self.equals is None and self.min is None and self.max is None:
            raise PydanticCustomError("count", "count needs equals, min or max")
        return self


class Expectation(Model):
    """What must be true of the page; every key given must hold."""

    visible: Target | None = None
    hidden: Target | None = None
    text: str | None = Field(None, description="visible text on the page (or inside `within`)")
    text_equals: str | None = Field(
        None, description="the text of `within` is exactly this (e.g. a remembered ${price})"
    )
    within: Target | None = Field(None, description="where to look for `text` / `text_equals`")
    url: str | None = Field(None, description="URL contains this; glob with *, or re:REGEX")
    title: str | None = Field(None, description="page title contains this")
    count: CountOf | None = None
    formula: str | None = Field(
        None, description="numbers that must add up: `cart_total == price * qty + delivery`"
    )

    @model_validator(mode="after")
    def _something(self) -> Expectation:
        keys = ("visible", "hidden", "text", "text_equals", "url", "title", "count", "formula")
        _require_count(self, keys)
        if self.within is not None and self.text is None and self.text_equals is None:
            raise PydanticCustomError("expect", "'within' goes with 'text' or 'text_equals'")
        if self.text_equals is not None and self.within is None:
            raise PydanticCustomError("expect", "'text_equals' needs 'within': the element to read")
        if self.formula is not None:
            check_formula(self.formula)
        return self


class ExpectStep(StepBase):
    ACTION: ClassVar[str] = "expect"
    expect: Expectation

    def default_name(self) -> str:
        e = self.expect
        parts = [
            f"{k} {v.describe() if isinstance(v, Target) else v}"
            for k in ("visible", "hidden", "text", "url", "title")
            if (v := getattr(e, k)) is not None
        ]
        if e.count is not None:
            parts.append(f"count {e.count.of.describe()}")
        return "expect " + ", ".join(parts)


class Shot(Model):
    name: str
    full_page: bool = False

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: object) -> object:
        return {"name": data} if isinstance(data, str) else data

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return _string_or(handler(core_schema), "the screenshot's name")


class ScreenshotStep(StepBase):
    ACTION: ClassVar[str] = "screenshot"
    screenshot: Shot

    def default_name(self) -> str:
        return f"screenshot {self.screenshot.name}"


class RememberStep(StepBase):
    """Keep what the page shows for later checks: `remember: {price: "#price"}`, then
    `expect: {within: "#cart-total", text_equals: "${price}"}` or a `formula`."""

    ACTION: ClassVar[str] = "remember"
    remember: dict[Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")], Target] = Field(
        min_length=1
    )

    def default_name(self) -> str:
        return "remember " + ", ".join(self.remember)


CONTENT_CHECKS = ("price", "image", "delivery", "returns", "payment_methods", "size_chart")


class ExpectContentStep(StepBase):
    """What a buyer needs before buying, each a named check: `expect_content: [price, image,
    delivery, returns, payment_methods, size_chart]`, or a mapping naming where each is
    (`{size_chart: "#size-guide"}`; null keeps the built-in check)."""

    ACTION: ClassVar[str] = "expect_content"
    expect_content: dict[str, Target | None]

    @field_validator("expect_content", mode="before")
    @classmethod
    def _list_form(cls, value: object) -> object:
        return {name: None for name in value} if isinstance(value, list) else value

    @field_validator("expect_content")
    @classmethod
    def _known(cls, checks: dict[str, Target | None]) -> dict[str, Target | None]:
        for name, target in checks.items():
            if target is None and name not in CONTENT_CHECKS:
                raise PydanticCustomError(
                    "content",
                    "no built-in check '{name}'{hint}: give it a target, or use one of {known}",
                    {
                        "name": name,
                        "hint": _hint(name, CONTENT_CHECKS),
                        "known": ", ".join(CONTENT_CHECKS),
                    },
                )
        if not checks:
            raise PydanticCustomError("content", "name at least one check")
        return checks

    def default_name(self) -> str:
        return "content " + ", ".join(self.expect_content)


STEP_TYPES: dict[str, type[StepBase]] = {
    cls.ACTION: cls
    for cls in (
        GotoStep,
        ClickStep,
        FillStep,
        SelectStep,
        CheckStep,
        UncheckStep,
        PressStep,
        HoverStep,
        WaitStep,
        ExpectStep,
        ScreenshotStep,
        RememberStep,
        ExpectContentStep,
    )
}
ACTIONS = tuple(STEP_TYPES)
COMMON_STEP_KEYS = tuple(StepBase.model_fields)


def step_action(data: object) -> str | None:
    """Which action a raw step mapping names, or None when it names none or several."""
    if isinstance(data, StepBase):
        return data.ACTION
    if not isinstance(data, dict):
        return None
    found = [key for key in data if key in STEP_TYPES]
    return found[0] if len(found) == 1 else None


def _step_tag(data: object) -> str | None:
    action = step_action(data)
    return None if action is None else f"{action}-step"


Step = Annotated[
    Annotated[GotoStep, Tag("goto-step")]
    | Annotated[ClickStep, Tag("click-step")]
    | Annotated[FillStep, Tag("fill-step")]
    | Annotated[SelectStep, Tag("select-step")]
    | Annotated[CheckStep, Tag("check-step")]
    | Annotated[UncheckStep, Tag("uncheck-step")]
    | Annotated[PressStep, Tag("press-step")]
    | Annotated[HoverStep, Tag("hover-step")]
    | Annotated[WaitStep, Tag("wait-step")]
    | Annotated[ExpectStep, Tag("expect-step")]
    | Annotated[ScreenshotStep, Tag("screenshot-step")]
    | Annotated[RememberStep, Tag("remember-step")]
    | Annotated[ExpectContentStep, Tag("expect_content-step")],
    Discriminator(
        _step_tag,
        custom_error_type="step_action",
        custom_error_message="a step needs exactly one action",
    ),
]


# ---------------------------------------------------------------- journey


FilmstripMode = Literal["always", "on-failure", "off"]
NetworkName = Literal["slow-3g", "fast-3g", "slow-4g", "fast-4g", "offline"]


class NetworkProfile(Model):
    """A network like the shopper's: extra latency and throughput limits."""

    latency_ms: float = Field(ge=0, le=60000)
    download_kbps: float = Field(gt=0, description="kilobits per second")
    upload_kbps: float = Field(gt=0)


# Chrome DevTools' presets (latency ms, down kbps, up kbps).
NETWORKS: dict[str, NetworkProfile] = {
    "slow-3g": NetworkProfile(latency_ms=2000, download_kbps=400, upload_kbps=400),
    "fast-3g": NetworkProfile(latency_ms=562.5, download_kbps=1440, upload_kbps=675),
    "slow-4g": NetworkProfile(latency_ms=150, download_kbps=1600, upload_kbps=750),
    "fast-4g": NetworkProfile(latency_ms=60, download_kbps=9000, upload_kbps=1500),
}


def check_formula(formula: str) -> None:
    """A formula is names, numbers, + - * / and parentheses, on both sides of one `==`."""
    import ast

    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError:
        raise PydanticCustomError(
            "formula",
            "'{f}' is not a formula such as `total == price * qty + delivery`",
            {"f": formula},
        ) from None
    allowed = (
        ast.Expression,
        ast.Compare,
        ast.Eq,
        ast.BinOp,
        ast.Add,
        ast.Sub,
        ast.Mult,
        ast.Div,
        ast.Name,
        ast.Load,
        ast.Constant,
        ast.UnaryOp,
        ast.USub,
    )
    body = tree.body
    if not (
        isinstance(body, ast.Compare) and len(body.ops) == 1 and isinstance(body.ops[0], ast.Eq)
    ):
        raise PydanticCustomError("formula", "a formula compares two sides with ==")
    for node in ast.walk(tree):
        if not isinstance(node, allowed) or (
            isinstance(node, ast.Constant) and not isinstance(node.value, int | float)
        ):
            raise PydanticCustomError(
                "formula", "only names, numbers, + - * / ( ) and == are allowed in a formula"
            )


class Viewport(Model):
    width: int = Field(gt=0, le=10000)
    height: int = Field(gt=0, le=10000)


class AccessibilityBudget(Model):
    """Most accessibility violations (axe-core rules broken, per page) of each impact."""

    critical: int | None = Field(None, ge=0)
    serious: int | None = Field(None, ge=0)
    moderate: int | None = Field(None, ge=0)
    minor: int | None = Field(None, ge=0)


class Budgets(Model):
    """Limits a working checkout must stay within; breaking one is `budget_exceeded`."""

    clicks: int | None = Field(None, ge=0, description="most clicks from landing to the end")
    journey_seconds: Duration | None = Field(None, description="the whole journey")
    page_load_seconds: Duration | None = Field(None, description="any one page load")
    step_seconds: Duration | None = Field(None, description="any one step")
    experience_score: int | None = Field(
        None, ge=0, le=100, description="least experience score (0-100) of a run"
    )
    accessibility: AccessibilityBudget | None = Field(
        None,
        description="most violations of each impact, e.g. {critical: 0, serious: 0}; needs "
        "the journey's `accessibility`",
    )


class HttpCredentials(Model):
    """HTTP basic auth for the shop's origin only (a staging or preview deployment)."""

    username: str = Field(min_length=1)
    password: str = Field(description="masked as a secret wherever anything is written")


class Geolocation(Model):
    """Where the browser says the shopper is (granted to the shop's pages)."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    accuracy: float = Field(10.0, ge=0, description="metres")


HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# Set by the browser itself or by `http_credentials`/`user_agent`; a journey cannot set them.
RESERVED_HEADERS = frozenset(
    {"host", "cookie", "content-length", "connection", "authorization", "user-agent"}
)


class Journey(Model):
    """One shopper's path through a shop, with its schedule and budgets."""

    name: str = Field(
        description="unique; the `journey` label: lowercase letters, digits, '.', '_', '-'",
        json_schema_extra={"pattern": NAME_PATTERN},
    )
    description: str | None = None
    site: str | None = Field(None, description="the `site` label; default: base_url's host")
    base_url: str = Field(description="where relative `goto` paths start")
    every: Duration = Field(300.0, description="how often `serve` runs it")
    device: str = Field("Desktop Chrome", description="a Playwright device name")
    viewport: Viewport | None = Field(None, description="overrides the device's viewport")
    locale: str | None = Field(None, description="e.g. en-GB, de-DE")
    timeout: Duration = Field(15.0, description="default timeout of each step")
    retries: int = Field(1, ge=0, le=10, description="re-runs before a failure counts")
    budgets: Budgets = Budgets()
    error_page_text: list[str] = Field(
        default_factory=list, description="visible text that means an error page"
    )
    secrets: list[Annotated[str, Field(pattern=ENV_NAME_PATTERN)]] = Field(
        default_factory=list, description="environment variables whose values are masked"
    )
    tags: list[str] = Field(default_factory=list)
    matrix: list[str] | None = Field(
        None, description="devices to run on, one run each: [Desktop Chrome, iPhone 13]"
    )
    network: NetworkName | NetworkProfile | None = Field(
        None, description="slow-3g, fast-3g, slow-4g, fast-4g, offline, or a custom profile"
    )
    stop_before: Literal["payment"] | None = Field(
        None, description="walk up to the payment step, check it is usable, place no order"
    )
    accessibility: Literal["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"] | None = Field(
        None, description="check each page reached with axe-core against this WCAG level"
    )
    filmstrip: FilmstripMode | None = Field(
        None,
        description="pictures of the screen after each step that changed it: always, "
        "on-failure (kept for a failed run only; `run` takes them in a re-play of it, so a "
        "passing run takes none) or off; default: the run's --filmstrip",
    )
    dismiss: list[Target] = Field(
        default_factory=list,
        description="what a shopper clicks away whenever it shows up and is in the way: a "
        "cookie banner's accept button, a newsletter or chat pop-up's close button",
    )
    http_credentials: HttpCredentials | None = Field(
        None, description="HTTP basic auth, sent to base_url's origin only; password masked"
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="extra request headers (a WAF allowlist token, a preview bypass), sent "
        "only to base_url's site and the hosts in `headers_to`; values masked",
        examples=[{"X-Monitor-Token": "${MONITOR_TOKEN}"}],
    )
    headers_to: list[str] = Field(
        default_factory=list,
        description="more hosts that get `headers` (the shop's API on another domain); "
        "'*.example.com' takes its subdomains too",
        examples=[["api.shop-backend.example"]],
    )
    user_agent: str | None = Field(None, description="replaces the device's user agent")
    user_agent_marker: bool = Field(
        True,
        description="append `checkout-monitor/VERSION` to the user agent, so the shop's "
        "analytics and WAF can tell synthetic traffic; false turns it off",
    )
    ignore_https_errors: bool = Field(
        False, description="accept a self-signed or otherwise bad certificate (staging)"
    )
    block: list[str] = Field(
        default_factory=list,
        description="requests to abort: a host ('www.google-analytics.com', '*.doubleclick.net' "
        "with its subdomains) or a URL glob ('**/collect?*'); each run counts what it blocked",
        examples=[["www.googletagmanager.com", "*.doubleclick.net", "**/analytics.js"]],
    )
    timezone: str | None = Field(None, description="an IANA time zone, e.g. Europe/Amsterdam")
    geolocation: Geolocation | None = Field(
        None, description="{latitude, longitude}: the shop may ask for the shopper's place"
    )
    steps: list[Step] = Field(min_length=1)

    _secret_values: tuple[str, ...] = PrivateAttr(default=())
    _origin: str = PrivateAttr(default="")
    _totp_secrets: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _label_safe(cls, name: str) -> str:
        if not re.match(NAME_PATTERN, name) or len(name) > 100:
            suggestion = re.sub(r"[^a-z0-9_.-]+", "-", name.lower()).strip("-") or "checkout"
            raise PydanticCustomError(
                "name",
                "'{name}' cannot be a journey name: use lowercase letters, digits, '.', '_' and "
                "'-' (at most 100), e.g. '{suggestion}'",
                {"name": name, "suggestion": suggestion[:100]},
            )
        return name

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not re.match(r"^https?://[^/\s]+", url):
            raise PydanticCustomError(
                "base_url",
                "'{url}' is not an http(s) URL such as https://shop.example.com",
                {"url": url},
            )
        return url.rstrip("/")

    @field_validator("every")
    @classmethod
    def _sane_interval(cls, every: float) -> float:
        if every < 1:
            raise PydanticCustomError("every", "every must be at least 1s")
        return every

    @field_validator("timeout")
    @classmethod
    def _positive_timeout(cls, timeout: float) -> float:
        if timeout <= 0:
            raise PydanticCustomError("timeout", "timeout must be more than 0s")
        return timeout

    @field_validator("device")
    @classmethod
    def _known_device(cls, device: str, info: ValidationInfo) -> str:
        _check_device(device, info)
        return device

    @field_validator("matrix")
    @classmethod
    def _known_devices(cls, devices: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if devices is not None:
            if not devices:
                raise PydanticCustomError("matrix", "matrix needs at least one device")
            for device in devices:
                _check_device(device, info)
        return devices

    @field_validator("headers")
    @classmethod
    def _sendable_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not HEADER_NAME.match(name):
                raise PydanticCustomError(
                    "header", "'{name}' is not an HTTP header name", {"name": name}
                )
            if name.lower() in RESERVED_HEADERS:
                raise PydanticCustomError(
                    "header",
                    "'{name}' cannot be set here; use http_credentials for Authorization and "
                    "user_agent for User-Agent",
                    {"name": name},
                )
            if "\n" in value or "\r" in value:
                raise PydanticCustomError(
                    "header", "the value of '{name}' must be one line", {"name": name}
                )
        return headers

    @field_validator("headers_to")
    @classmethod
    def _hosts(cls, hosts: list[str]) -> list[str]:
        for host in hosts:
            if not re.match(r"^(\*\.)?[A-Za-z0-9.-]+(:\d+)?$", host):
                raise PydanticCustomError(
                    "headers_to",
                    "'{host}' is not a host such as api.example.com or *.example.com",
                    {"host": host},
                )
        return hosts

    @field_validator("block")
    @classmethod
    def _patterns(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            if not pattern.strip() or any(c.isspace() for c in pattern):
                raise PydanticCustomError(
                    "block",
                    "'{p}' is not a host or URL glob such as ads.example.com or **/collect?*",
                    {"p": pattern},
                )
        return patterns

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, timezone: str | None) -> str | None:
        import zoneinfo

        if timezone is not None:
            try:
                zoneinfo.ZoneInfo(timezone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise PydanticCustomError(
                    "timezone",
                    "unknown time zone '{tz}'; write an IANA name such as Europe/Amsterdam",
                    {"tz": timezone},
                ) from None
        return timezone

    @model_validator(mode="after")
    def _accessibility_budget_needs_a_check(self) -> Journey:
        if self.budgets.accessibility is not None and self.accessibility is None:
            raise PydanticCustomError(
                "accessibility",
                "budgets.accessibility needs the pages checked: add `accessibility: wcag2aa` "
                "(or wcag2a, wcag21aa, wcag22aa) to the journey",
            )
        return self

    @model_validator(mode="after")
    def _from_context(self, info: ValidationInfo) -> Journey:
        context = info.context or {}
        self._secret_values = tuple(context.get("secret_values", ()))
        self._origin = str(context.get("origin", ""))
        self._totp_secrets = dict(context.get("totp_secrets", {}))
        return self

    def expand(self) -> list[Journey]:
        """One journey per device of `matrix` (named `<name>--<device>`), or itself."""
        if not self.matrix:
            return [self]
        copies = []
        for device in self.matrix:
            slug = re.sub(r"[^a-z0-9]+", "-", device.lower()).strip("-")
            copy = self.model_copy(
                update={"name": f"{self.name}--{slug}", "device": device, "matrix": None}
            )
            copy._secret_values, copy._origin = self._secret_values, self._origin
            copy._totp_secrets = self._totp_secrets
            copies.append(copy)
        return copies

    @property
    def network_profile(self) -> NetworkProfile | None:
        """The network to emulate, or None for an unthrottled one (offline: latency -1)."""
        if self.network is None or isinstance(self.network, NetworkProfile):
            return self.network
        if self.network == "offline":
            return NetworkProfile(latency_ms=0, download_kbps=1, upload_kbps=1)
        return NETWORKS[self.network]

    @property
    def site_label(self) -> str:
        """The `site` label: `site:`, else base_url's host[:port] (never its credentials)."""
        if self.site:
            return self.site
        host = re.sub(r"^https?://", "", self.base_url).split("/")[0]
        return host.rsplit("@", 1)[-1]

    def step_names(self) -> list[str]:
        """Each step's name, made unique: a second unnamed `click #next` is `click #next (2)`."""
        names: list[str] = []
        seen: dict[str, int] = {}
        for step in self.steps:
            label = step.label()
            seen[label] = seen.get(label, 0) + 1
            names.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
        return names

    @property
    def secret_values(self) -> tuple[str, ...]:
        """Values that must never appear in any output: those of `secrets:`, the basic auth
        password (and the header it makes), `headers` values and TOTP secrets; longest first."""
        found = set(self._secret_values) | set(self._totp_secrets.values())
        found |= {v for v in self.headers.values() if len(v) >= 4}
        if self.http_credentials is not None and self.http_credentials.password:
            credentials = self.http_credentials
            token = f"{credentials.username}:{credentials.password}".encode()
            found |= {credentials.password, base64.b64encode(token).decode()}
        return tuple(sorted((v for v in found if v), key=len, reverse=True))

    @property
    def totp_secrets(self) -> dict[str, str]:
        """`${totp:NAME}` secrets by variable name, read from the environment at load time."""
        return dict(self._totp_secrets)

    def run_values(self, on_secret: Callable[[str], None], now: float) -> RunValues:
        """What `${run.id}`, `${run.timestamp}` and `${totp:NAME}` stand for in one run."""
        return RunValues(self._totp_secrets, on_secret, now)

    @property
    def origin(self) -> str:
        """Where the journey was defined, `file:line`, for messages."""
        return self._origin


class JourneyFile(Model):
    """A file holding several journeys under `journeys:`."""

    journeys: list[Journey] = Field(min_length=1)


def _check_device(device: str, info: ValidationInfo) -> None:
    known: Collection[str] | None = (info.context or {}).get("devices")
    if known is not None and device not in known:
        raise PydanticCustomError(
            "device",
            "unknown device '{device}'{hint}; `checkout-monitor doctor --devices` lists them",
            {"device": device, "hint": _hint(device, known)},
        )


def _require_count(model: BaseModel, keys: tuple[str, ...], exactly_one: bool = False) -> None:
    given = [k for k in keys if getattr(model, k) is not None]
    if not given or (exactly_one and len(given) > 1):
        need = "exactly one" if exactly_one else "at least one"
        raise PydanticCustomError(
            "condition", "needs {need} of: {keys}", {"need": need, "keys": ", ".join(keys)}
        )


def _hint(word: str, choices: Collection[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def json_schema() -> dict[str, Any]:
    """JSON Schema of a journey file: one journey, or several under `journeys:`."""
    one = Journey.model_json_schema(mode="validation")
    defs = one.pop("$defs", {})
    defs["Journey"] = one
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/checkout-monitor/checkout-monitor/journey.schema.json",
        "title": "checkout-monitor journey file",
        "description": "One journey, or several under `journeys:`.",
        "anyOf": [
            {"$ref": "#/$defs/Journey"},
            {
                "type": "object",
                "properties": {
                    "journeys": {
                        "type": "array",
                        "items": {"$ref": "#/$defs/Journey"},
                        "minItems": 1,
                    }
                },
                "required": ["journeys"],
                "additionalProperties": False,
            },
        ],
        "$defs": defs,
    }
