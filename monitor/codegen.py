"""Turn a script recorded with `playwright codegen --target python` into a journey file.

The script is parsed with `ast` and never run. Each statement becomes a journey step; what has
no journey equivalent (`page.mouse.click(10, 20)`, a `for` loop, a dialog handler) is listed in
`ImportResult.untranslated` and left in the YAML as a `# TODO (line N): <code>` comment where it
was. The boilerplate around the recording (imports, `def run(playwright)`, launching and closing
the browser) is skipped without a word. Both the sync and the `python-async` targets work, and
the `python-pytest` one (`def test_example(page: Page)`).

    >>> result = import_codegen('''
    ... page.goto("https://shop.example.com/")
    ... page.get_by_role("button", name="Add to cart").click()
    ... page.mouse.click(10, 20)
    ... ''', file="recording.py")
    >>> print(result.yaml_text[result.yaml_text.index("base_url"):].rstrip())
    base_url: https://shop.example.com
    steps:
      - goto: /
      - click: {role: button, name: Add to cart}
      # TODO (line 4): page.mouse.click(10, 20)
      #   mouse actions at coordinates have no journey step; click a target instead
    >>> result.untranslated
    [(4, 'page.mouse.click(10, 20)')]

Card numbers, CVCs and passwords become variables whose default is the recorded value
(`${TEST_CARD:-4242424242424242}`), listed under `secrets:` so they are masked everywhere.
The last click that pays (`Pay now`, `Place order`, ...) is marked `payment: true` and the
first `expect` after it `confirms_order: true`.
"""

from __future__ import annotations

import ast
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import TypeAdapter, ValidationError

from monitor.errors import CheckoutMonitorError
from monitor.journey import NAME_PATTERN, ROLES, Journey, Step

SCHEMA_COMMENT = "# yaml-language-server: $schema=../journey.schema.json"


class CodegenError(CheckoutMonitorError):
    """The script cannot become a journey at all: not Python, or no `page.goto` to start from."""


@dataclass(frozen=True)
class ImportResult:
    """A journey file made from a codegen script, and what it could not translate."""

    yaml_text: str
    untranslated: list[tuple[int, str]]  # (line, source) of each statement left as a TODO
    name: str = ""  # the journey's name
    base_url: str = ""
    secrets: list[str] = field(default_factory=list)  # variables to set in the environment
    steps: int = 0


def import_codegen(source: str, *, name: str | None = None, file: str = "<script>") -> ImportResult:
    """The journey a codegen script records; raises CodegenError if there is none."""
    try:
        tree = ast.parse(source, filename=file)
    except SyntaxError as exc:
        where = f"{file}:{exc.lineno or 1}:{exc.offset or 1}"
        raise CodegenError(f"{where}: not a Python script: {exc.msg}") from exc
    translator = _Translator(source)
    translator.module(tree)
    if translator.origin is None:
        raise CodegenError(
            f'{file}: no page.goto("https://...") to take the journey\'s base_url from; record '
            "from the shop's address: `playwright codegen --target python https://shop.example`"
        )
    translator.mark_payment()
    journey_name = slugify(name if name is not None else _stem(file))
    return translator.result(journey_name, file)


def slugify(text: str) -> str:
    """A valid journey name from any text: `Guest Checkout.py` → `guest-checkout.py`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9_.-]+", "-", ascii_text.strip().lower())
    slug = re.sub(r"-{2,}", "-", slug)
    slug = re.sub(r"^[^a-z0-9]+", "", slug)[:100].rstrip("-._")
    return slug if re.match(NAME_PATTERN, slug) else "imported-journey"


def _stem(file: str) -> str:
    if file.startswith("<") or file in ("", "-"):
        return "imported-journey"
    return PurePath(file).stem


# ---------------------------------------------------------------- translation


class _Untranslatable(Exception):
    """Internal: this statement has no journey equivalent; the message says why."""


class _Raw(str):
    """A string written as is: a `${VAR:-default}` whose `$` must not be escaped."""

    __slots__ = ()


@dataclass
class _Item:
    line: int
    step: dict[str, Any] | None = None
    action: str = ""  # the Playwright method it came from
    todo: tuple[str, str] | None = None  # (code, why)
    note: str | None = None


@dataclass
class _Loc:
    """A locator chain being read: the frames entered so far and the element narrowed to."""

    frames: list[str] = field(default_factory=list)
    target: dict[str, Any] | None = None
    picked: bool = False  # .first / .last / .nth() applied to the target

    def narrow(self, target: dict[str, Any]) -> None:
        if self.target is None:
            self.target = target
        else:  # a locator inside a locator: only selectors chain
            self.target = {"selector": f"{_as_selector(self.target)} >> {_as_selector(target)}"}
        self.picked = False

    def pick(self, nth: int, first: bool = False) -> None:
        if self.target is None:
            if not self.frames:
                raise _Untranslatable("a page has no first, last or nth")
            self.frames[-1] += f" >> nth={nth}"
        elif self.picked:
            if not (first and nth == 0):  # `.nth(2).first` is still the third
                raise _Untranslatable("picking twice (.nth/.first/.last) has no journey target")
        else:
            self.target["nth"] = nth
            self.picked = True

    def filter(self, has_text: str) -> None:
        if self.target is None or self.picked or "has_text" in self.target:
            raise _Untranslatable("this filter has no journey target: has_text goes on one element")
        self.target["has_text"] = has_text

    def enter(self, selector: str | None) -> None:
        """`.frame_locator(selector)`, or `.content_frame` of the current target (None)."""
        if selector is None:
            if self.target is None:
                raise _Untranslatable("content_frame needs the iframe's locator")
            selector = _as_selector(self.target)
        elif self.target is not None:
            selector = f"{_as_selector(self.target)} >> {selector}"
        self.frames.append(selector)
        self.target = None
        self.picked = False

    def finish(self) -> dict[str, Any]:
        if self.target is None:
            raise _Untranslatable("this acts on a page or frame, not on an element")
        target = dict(self.target)
        if target.get("nth") == 0:
            del target["nth"]  # the runner takes the first match anyway
        if self.frames:
            target["frame"] = self.frames[0] if len(self.frames) == 1 else list(self.frames)
        return target


_STEP: TypeAdapter[Any] = TypeAdapter(Step)

_TEXT_GETTERS = {
    "get_by_text": "text",
    "get_by_label": "label",
    "get_by_placeholder": "placeholder",
    "get_by_alt_text": "alt",
    "get_by_title": "title",
}
_ATTRIBUTE_KINDS = {"title", "placeholder", "alt"}  # targets named after an attribute
_CLICKS = {"click", "dblclick", "tap"}
_FILLS = {"fill", "type", "press_sequentially"}
_ELEMENT_ACTIONS = {
    *_CLICKS,
    *_FILLS,
    "clear",
    "press",
    "check",
    "uncheck",
    "set_checked",
    "select_option",
    "hover",
}
_IGNORED_OPTIONS = {"no_wait_after", "force", "strict", "delay"}
_LAUNCHES = {"launch", "launch_persistent_context", "connect", "connect_over_cdp"}

_PASSWORD = re.compile(r"passw|passcode|kennwort|\bpin\b", re.IGNORECASE)
_CVC = re.compile(r"\b(cvc2?|cvv2?|csc|cvn)\b|security.?code|card.?code", re.IGNORECASE)
_CARD = re.compile(
    r"card.?(number|num|no\b)|cc.?(number|num)|credit.?card|kartennummer|\bpan\b", re.IGNORECASE
)
_PAYS = re.compile(
    r"\bpay\b|place.?order|(complete|confirm|submit).?(order|purchase|payment)"
    r"|zahlungspflichtig",
    re.IGNORECASE,
)


class _Translator:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[_Item] = []
        self.pages: set[str] = {"page"}  # codegen always names the first tab `page`
        self.plumbing: set[str] = {"playwright"}  # playwright, browser, context objects
        self.popup_infos: set[str] = set()
        self.other_infos: set[str] = set()
        self.functions: set[str] = set()
        self.opened_page = False
        self.origin: str | None = None
        self.settings: dict[str, Any] = {}
        self.secrets: dict[str, str] = {}  # variable → recorded value

    # ------------------------------------------------------------ statements

    def module(self, tree: ast.Module) -> None:
        self.functions = {
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        self.body(tree.body)

    def body(self, statements: Sequence[ast.stmt]) -> None:
        for statement in statements:
            try:
                self.statement(statement)
            except _Untranslatable as why:
                self.todo(statement, str(why))

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom | ast.Pass):
            return
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return  # a docstring
        if isinstance(node, ast.Return) and node.value is None:
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self.function(node)
        elif isinstance(node, ast.If) and _is_main_guard(node.test) and not node.orelse:
            self.body(node.body)
        elif isinstance(node, ast.With | ast.AsyncWith):
            self.with_block(node)
        elif isinstance(node, ast.Assign):
            self.assign(node)
        elif isinstance(node, ast.Expr):
            self.expression(_unawait(node.value), node)
        else:
            raise _Untranslatable("no journey step does this")

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = node.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            kind = _dotted(arg.annotation).rsplit(".", 1)[-1] if arg.annotation else ""
            if arg.arg == "page" or kind == "Page":
                self.pages.add(arg.arg)
            elif arg.arg in ("playwright", "browser", "context") or kind in (
                "Playwright",
                "Browser",
                "BrowserContext",
                "BrowserType",
            ):
                self.plumbing.add(arg.arg)
        self.body(node.body)

    def with_block(self, node: ast.With | ast.AsyncWith) -> None:
        known = True
        for item in node.items:
            call = _unawait(item.context_expr)
            var = item.optional_vars.id if isinstance(item.optional_vars, ast.Name) else None
            func = call.func if isinstance(call, ast.Call) else None
            if func is not None and _dotted(func) in ("sync_playwright", "async_playwright"):
                if var:
                    self.plumbing.add(var)
            elif (
                isinstance(func, ast.Attribute)
                and func.attr.startswith("expect_")
                and _root(func) in self.pages | self.plumbing
            ):
                if var and func.attr in ("expect_popup", "expect_page"):
                    self.popup_infos.add(var)  # the runner follows a new tab by itself
                elif var:
                    self.other_infos.add(var)
            else:
                known = False
        if not known:
            self.todo(node, "no journey step does this; the statements inside follow")
        self.body(node.body)

    def assign(self, node: ast.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            raise _Untranslatable("no journey step does this")
        name = node.targets[0].id
        value = _unawait(node.value)
        if isinstance(value, ast.Attribute) and value.attr == "value":
            info = _root(value)
            if info in self.popup_infos:
                self.pages.add(name)  # the popup: the runner is already on it
                return
            if info in self.other_infos:
                return
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
            method, owner = value.func.attr, _root(value.func)
            if owner in self.plumbing and method in _LAUNCHES:
                self.plumbing.add(name)
                return
            if owner in self.plumbing and method == "new_context":
                self.plumbing.add(name)
                self.context_options(value)
                return
            if owner in self.plumbing and method == "new_page":
                self.pages.add(name)
                if self.opened_page:
                    raise _Untranslatable(
                        "a journey runs in one tab (it follows popups by itself); the "
                        f"statements on {name} are translated as if on the same tab"
                    )
                self.opened_page = True
                self.context_options(value)
                return
        raise _Untranslatable("no journey step does this")

    def context_options(self, call: ast.Call) -> None:
        """`browser.new_context(**playwright.devices["iPhone 13"], locale="de-DE")`."""
        skipped: list[str] = []
        for keyword in call.keywords:
            if keyword.arg is None:
                device = _device(keyword.value)
                if device is None:
                    skipped.append("**" + ast.unparse(keyword.value))
                else:
                    self.settings["device"] = device
            elif keyword.arg == "viewport" and (size := _viewport(keyword.value)):
                self.settings["viewport"] = size
            elif keyword.arg == "locale" and isinstance(locale := _literal(keyword.value), str):
                self.settings["locale"] = locale
            else:
                skipped.append(keyword.arg)
        if skipped:
            raise _Untranslatable(f"browser options a journey cannot set: {', '.join(skipped)}")

    # ------------------------------------------------------------ calls

    def expression(self, expr: ast.expr, statement: ast.stmt) -> None:
        if not isinstance(expr, ast.Call):
            raise _Untranslatable("no journey step does this")
        func = expr.func
        if isinstance(func, ast.Attribute) and _is_expect(func.value):
            assert isinstance(func.value, ast.Call)
            self.expect(func.value, func.attr, expr, statement)
            return
        if isinstance(func, ast.Name) and func.id in self.functions:
            return  # run(playwright), main()
        if _dotted(func) == "asyncio.run":
            return
        if not isinstance(func, ast.Attribute):
            raise _Untranslatable("no journey step does this")
        owner = func.value
        if isinstance(owner, ast.Name) and owner.id in self.plumbing:
            if func.attr in ("close", "stop"):
                return
            raise _Untranslatable("no journey step does this")
        if isinstance(owner, ast.Name) and owner.id in self.pages:
            self.page_call(func.attr, expr, statement)
            return
        if isinstance(owner, ast.Attribute) and _root(owner) in self.pages:
            if owner.attr == "keyboard" and func.attr == "press":
                key = _string(_argument(expr, 0, "key"))
                self.add({"press": key}, expr, statement, "press", ignore={"key"})
                return
            if owner.attr == "keyboard":
                raise _Untranslatable("typing without a target has no journey step; fill a field")
            if owner.attr == "mouse":
                raise _Untranslatable(
                    "mouse actions at coordinates have no journey step; click a target instead"
                )
        self.element_action(self.locator(owner), func.attr, expr, statement)

    def page_call(self, method: str, call: ast.Call, statement: ast.stmt) -> None:
        if method == "goto":
            url = _string(_argument(call, 0, "url"))
            ignore = {"url", "wait_until", "referer"}
            self.add({"goto": self.goto_path(url)}, call, statement, ignore=ignore)
        elif method == "wait_for_timeout":
            ms = _number(_argument(call, 0, "timeout"))
            self.add({"wait": {"seconds": _milliseconds(ms)}}, None, statement)
        elif method == "wait_for_url":
            url = self.url_expected(_argument(call, 0, "url"))
            self.add({"wait": {"url": url}}, call, statement, ignore={"url", "wait_until"})
        elif method == "wait_for_load_state":
            state = _string(_argument(call, 0, "state")) if _has_argument(call, 0, "state") else ""
            self.add({"wait": {"load": state or "load"}}, call, statement, ignore={"state"})
        elif method == "wait_for_selector":
            target = {"selector": _string(_argument(call, 0, "selector"))}
            self.add(_wait_for(target, call), call, statement, ignore={"selector", "state"})
        elif method == "screenshot":
            shot = _screenshot(call, len(self.items) + 1)
            self.add(shot, call, statement, ignore={"path", "full_page"})
        elif method in ("pause", "bring_to_front"):
            return
        elif method in ("once", "on") and _has_argument(call, 0, "event"):
            if _literal(_argument(call, 0, "event")) == "dialog":
                raise _Untranslatable(
                    "the monitor answers every dialog with OK by itself and reports it"
                )
            raise _Untranslatable("event handlers have no journey step")
        elif method == "close":
            raise _Untranslatable(
                "closing a tab has no journey step; the journey goes on in the newest tab"
            )
        elif method in ("reload", "go_back", "go_forward"):
            raise _Untranslatable(f"{method} has no journey step; use a goto")
        elif method in _ELEMENT_ACTIONS | {"wait_for"} and _has_argument(call, 0, "selector"):
            # The old page-level API: page.click("text=Sign in"), page.fill("#email", "x").
            loc = _Loc(target={"selector": _string(_argument(call, 0, "selector"))})
            shifted = ast.Call(
                func=call.func,
                args=call.args[1:],
                keywords=[k for k in call.keywords if k.arg != "selector"],
            )
            self.element_action(loc, method, shifted, statement)
        else:
            raise _Untranslatable(f"page.{method}() has no journey step")

    def element_action(self, loc: _Loc, action: str, call: ast.Call, statement: ast.stmt) -> None:
        target = loc.finish()
        step: dict[str, Any]
        if action in _CLICKS:
            _no_arguments(call, 0)
            step = {"click": target}
        elif action in _FILLS or action == "clear":
            value = "" if action == "clear" else _string(_argument(call, 0, "value", "text"))
            step = {"fill": {**target, "value": self.secret(target, value)}}
        elif action == "press":
            step = {"press": {**target, "key": _string(_argument(call, 0, "key"))}}
        elif action in ("check", "uncheck", "hover"):
            _no_arguments(call, 0)
            step = {action: target}
        elif action == "set_checked":
            checked = _literal(_argument(call, 0, "checked"))
            if not isinstance(checked, bool):
                raise _Untranslatable("only set_checked(True) or set_checked(False)")
            step = {"check" if checked else "uncheck": target}
        elif action == "select_option":
            step = {"select": {**target, "value": _option(call)}}
        elif action == "wait_for":
            step = _wait_for(target, call)
        elif action == "set_input_files":
            raise _Untranslatable("file uploads have no journey step")
        else:
            raise _Untranslatable(f".{action}() has no journey step")
        known = {"value", "text", "key", "checked", "label", "state"}
        self.add(step, call, statement, action, ignore=known)

    def expect(self, subject: ast.Call, matcher: str, call: ast.Call, statement: ast.stmt) -> None:
        what = _unawait(subject.args[0]) if subject.args else None
        expected: dict[str, Any]
        if isinstance(what, ast.Name) and what.id in self.pages:
            if matcher == "to_have_url":
                expected = {"url": self.url_expected(_argument(call, 0, "url_or_reg_exp"), True)}
            elif matcher == "to_have_title":
                expected = {"title": _text(_argument(call, 0, "title_or_reg_exp"))[0]}
            else:
                raise _Untranslatable(f"expect(page).{matcher}() has no journey expectation")
        elif what is not None:
            target = self.locator(what).finish()
            if matcher == "to_be_visible":
                options = _keywords(call)
                visible = _literal(options["visible"]) if "visible" in options else True
                expected = {"visible" if visible is not False else "hidden": target}
            elif matcher in ("to_be_hidden", "not_to_be_visible", "not_to_be_attached"):
                expected = {"hidden": target}
            elif matcher in ("to_contain_text", "to_have_text"):
                expected = {"text": _text(_argument(call, 0, "expected"))[0], "within": target}
            elif matcher == "to_have_count":
                count = _literal(_argument(call, 0, "count"))
                if not isinstance(count, int) or isinstance(count, bool):
                    raise _Untranslatable("only a literal count")
                expected = {"count": {"of": target, "equals": count}}
            else:
                raise _Untranslatable(f"{matcher}() has no journey expectation")
        else:
            raise _Untranslatable("expect() of what?")
        ignore = {"ignore_case", "use_inner_text", "visible", "expected", "count"}
        ignore |= {"url_or_reg_exp", "title_or_reg_exp"}
        self.add({"expect": expected}, call, statement, "expect", ignore=ignore)

    # ------------------------------------------------------------ locators

    def locator(self, node: ast.expr) -> _Loc:
        node = _unawait(node)
        if isinstance(node, ast.Name):
            if node.id in self.pages:
                return _Loc()
            raise _Untranslatable(f"'{node.id}' is not a page or locator of the recording")
        if isinstance(node, ast.Attribute):
            loc = self.locator(node.value)
            if node.attr == "first":
                loc.pick(0, first=True)
            elif node.attr == "last":
                loc.pick(-1)
            elif node.attr == "content_frame":
                loc.enter(None)
            else:
                raise _Untranslatable(f".{node.attr} has no journey target")
            return loc
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            loc = self.locator(node.func.value)
            method = node.func.attr
            if method == "frame_locator":
                loc.enter(_string(_argument(node, 0, "selector")))
            elif method == "nth":
                index = _literal(_argument(node, 0, "index"))
                if not isinstance(index, int) or isinstance(index, bool):
                    raise _Untranslatable("only a literal nth()")
                loc.pick(index)
            elif method == "filter":
                options = _keywords(node)
                if set(options) != {"has_text"} or node.args:
                    raise _Untranslatable("only filter(has_text=...) has a journey target")
                loc.filter(_text(options["has_text"])[0])
            else:
                loc.narrow(_getter(method, node))
            return loc
        raise _Untranslatable("only page locators chained from a page have journey targets")

    # ------------------------------------------------------------ values

    def goto_path(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            origin = _origin(url)
            if self.origin is None:
                self.origin = origin
            return _path(url) if origin == self.origin else url
        if self.origin is None or parts.scheme:
            raise _Untranslatable("a journey goes to http(s) pages under its base_url")
        return url

    def url_expected(self, node: ast.expr, exact: bool = True) -> str:
        """A journey URL check (contains, glob with *, or re:) for a Playwright URL argument."""
        node = _unawait(node)
        pattern = _regex(node)
        if pattern is not None:
            return "re:" + pattern
        url = _string(node)
        same = (
            self.origin is not None and bool(urlsplit(url).netloc) and _origin(url) == self.origin
        )
        if "*" in url:
            return "*" + _path(url) if same else url
        if not same:
            return url
        path = _path(url)
        return "re:^https?://[^/]+/$" if exact and path == "/" else path

    def secret(self, target: dict[str, Any], value: str) -> str:
        """A card number, CVC or password becomes `${TEST_CARD:-<recorded>}`."""
        hints = " ".join(
            str(target[key])
            for key in ("selector", "label", "placeholder", "test_id", "name", "title", "text")
            if key in target
        )
        if _PASSWORD.search(hints):
            kind = "TEST_PASSWORD"
        elif _CVC.search(hints):
            kind = "TEST_CVC"
        elif _CARD.search(hints) or (
            re.fullmatch(r"[\d\s-]+", value) and sum(c.isdigit() for c in value) >= 12
        ):
            kind = "TEST_CARD"
        else:
            return value
        if not value:
            return value
        variable = next((n for n, v in self.secrets.items() if v == value), None)
        if variable is None:
            variable, number = kind, 1
            while variable in self.secrets:
                number += 1
                variable = f"{kind}_{number}"
            self.secrets[variable] = value
        if "}" in value:  # cannot be a default: ${NAME:-...} ends at the first }
            return _Raw(f"${{{variable}}}")
        return _Raw(f"${{{variable}:-{value}}}")

    # ------------------------------------------------------------ output

    def add(
        self,
        step: dict[str, Any],
        call: ast.Call | None,
        statement: ast.stmt,
        action: str = "",
        ignore: set[str] | None = None,
    ) -> None:
        if call is not None:
            options = _keywords(call)
            for known in (*_IGNORED_OPTIONS, *(ignore or ())):
                options.pop(known, None)
            if "timeout" in options:
                ms = _number(options.pop("timeout"))
                if ms > 0:  # 0 is Playwright's "no limit"
                    step["timeout"] = _milliseconds(ms)
            if options:
                raise _Untranslatable(f"options a journey cannot express: {', '.join(options)}")
        try:
            _STEP.validate_python(_plain(step))
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"]
            raise _Untranslatable(f"not a valid journey step: {reason}") from exc
        previous = self.items[-1] if self.items else None
        if (
            action in (*_FILLS, "press")
            and previous is not None
            and previous.action == "click"
            and previous.step is not None
            and set(previous.step) == {"click"}
            and previous.step["click"] == _without(next(iter(step.values())), "value", "key")
        ):
            self.items.pop()  # codegen's click into a field before typing: the fill focuses it
        self.items.append(_Item(statement.lineno, step, action))

    def todo(self, statement: ast.stmt, why: str) -> None:
        self.items.append(_Item(statement.lineno, todo=(_code(self.source, statement), why)))

    def mark_payment(self) -> None:
        """The last click that pays is the payment; the first expect after it confirms the order."""
        steps = [item for item in self.items if item.step is not None]
        paying = [
            i
            for i, item in enumerate(steps)
            if item.step is not None
            and "click" in item.step
            and _PAYS.search(_words(item.step["click"]))
        ]
        if not paying:
            return
        pay = steps[paying[-1]].step
        assert pay is not None
        pay.update({"name": "pay", "payment": True})
        confirm = next(
            (item.step for item in steps[paying[-1] + 1 :] if item.step and "expect" in item.step),
            None,
        )
        if confirm is not None:
            confirm.update({"name": "order confirmed", "confirms_order": True})
        else:
            self.items.append(
                _Item(
                    0,
                    note="add an `expect` for the order confirmation with `confirms_order: true`: "
                    "a payment without one is not checked",
                )
            )

    def result(self, name: str, file: str) -> ImportResult:
        assert self.origin is not None
        header: dict[str, Any] = {
            "name": name,
            "description": f"Recorded with playwright codegen ({PurePath(file).name})"
            if not file.startswith("<")
            else "Recorded with playwright codegen",
            "base_url": self.origin,
            **self.settings,
        }
        if self.secrets:
            header["secrets"] = list(self.secrets)
        untranslated = [(item.line, item.todo[0]) for item in self.items if item.todo]
        steps = [item.step for item in self.items if item.step is not None]
        try:
            Journey.model_validate(_plain({**header, "steps": steps}))
        except ValidationError as exc:  # a bug here: every step was validated on its own
            raise CodegenError(f"{file}: the journey made from it is not valid: {exc}") from exc
        lines = [SCHEMA_COMMENT, "#", f"# Imported from {file} by `checkout-monitor import`."]
        if untranslated:
            count = len(untranslated)
            lines.append(f"# {count} statement(s) could not be translated: see the TODO comments.")
        if self.secrets:
            lines += [
                f"# Secrets: set {', '.join(self.secrets)} in the environment. The recorded values",
                "# are only defaults (`${TEST_CARD:-...}`): delete them if they are real.",
            ]
        lines += [f"{key}: {_flow(_escaped(value))}" for key, value in header.items()]
        lines.append("steps:")
        for item in self.items:
            lines += list(_item_lines(item))
        return ImportResult(
            "\n".join(lines) + "\n",
            untranslated,
            name,
            self.origin,
            list(self.secrets),
            len(steps),
        )


# ---------------------------------------------------------------- AST helpers


def _unawait(node: ast.expr) -> ast.expr:
    return node.value if isinstance(node, ast.Await) else node


def _dotted(node: ast.expr | None) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _root(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript | ast.Await):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and _dotted(test.left) == "__name__"
        and len(test.comparators) == 1
        and _literal(test.comparators[0]) == "__main__"
    )


def _is_expect(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and _dotted(node.func) in ("expect", "playwright.expect")


def _literal(node: ast.expr) -> object:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _Untranslatable  # a sentinel no literal equals


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    if any(k.arg is None for k in call.keywords):
        raise _Untranslatable("**options cannot be read without running the script")
    return {k.arg: k.value for k in call.keywords if k.arg is not None}


def _has_argument(call: ast.Call, index: int, *names: str) -> bool:
    return len(call.args) > index or any(k.arg in names for k in call.keywords)


def _argument(call: ast.Call, index: int, *names: str) -> ast.expr:
    if len(call.args) > index:
        return call.args[index]
    for keyword in call.keywords:
        if keyword.arg in names:
            return keyword.value
    raise _Untranslatable(f"missing argument {names[0] if names else index}")


def _no_arguments(call: ast.Call, allowed: int) -> None:
    if len(call.args) > allowed:
        raise _Untranslatable("arguments a journey cannot express")


def _string(node: ast.expr) -> str:
    value = _literal(node)
    if not isinstance(value, str):
        raise _Untranslatable("only literal strings can be translated")
    return value


def _number(node: ast.expr) -> float:
    value = _literal(node)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _Untranslatable("only literal numbers can be translated")
    return float(value)


def _regex(node: ast.expr) -> str | None:
    """The pattern of `re.compile("...")`, else None."""
    if isinstance(node, ast.Call) and _dotted(node.func) == "re.compile" and node.args:
        return _string(node.args[0])
    return None


def _text(node: ast.expr) -> tuple[str, bool]:
    """(text, exact) of a string, or of a regex that only anchors plain text (`^Pay now$`)."""
    node = _unawait(node)
    pattern = _regex(node)
    if pattern is None:
        return _string(node), False
    exact = pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$")
    body = pattern.removeprefix("^")
    if body.endswith("$") and not body.endswith("\\$"):
        body = body[:-1]
    text: list[str] = []
    chars = iter(body)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            if not escaped or escaped.isalnum():
                raise _Untranslatable(f"the regular expression {pattern!r} is not plain text")
            text.append(escaped)
        elif char in ".^$*+?{}[]|()":
            raise _Untranslatable(f"the regular expression {pattern!r} is not plain text")
        else:
            text.append(char)
    return "".join(text), exact


def _getter(method: str, call: ast.Call) -> dict[str, Any]:
    """The journey target of `get_by_role(...)`, `locator(...)` and friends."""
    options = _keywords(call)
    target: dict[str, Any]
    if method == "locator":
        target = {"selector": _string(_argument(call, 0, "selector"))}
        if "has_text" in options:
            target["has_text"] = _text(options.pop("has_text"))[0]
    elif method == "get_by_role":
        target = {"role": _string(_argument(call, 0, "role"))}
        options.pop("role", None)
        if target["role"] not in ROLES:
            raise _Untranslatable(f"unknown ARIA role {target['role']!r}")
        exact = False
        if "name" in options:
            target["name"], exact = _text(options.pop("name"))
        if "exact" in options:
            exact = _literal(options.pop("exact")) is True
        if exact and "name" in target:
            target["exact"] = True
    elif method in _TEXT_GETTERS:
        text, exact = _text(_argument(call, 0, "text"))
        options.pop("text", None)
        target = {_TEXT_GETTERS[method]: text}
        if "exact" in options:
            exact = _literal(options.pop("exact")) is True
        if exact:
            target["exact"] = True
    elif method == "get_by_test_id":
        target = {"test_id": _string(_argument(call, 0, "test_id"))}
        options.pop("test_id", None)
    else:
        raise _Untranslatable(f".{method}() has no journey target")
    options.pop("selector", None)
    if options:
        raise _Untranslatable(f"{method} options a journey cannot express: {', '.join(options)}")
    return target


def _as_selector(target: dict[str, Any]) -> str:
    """A target as one Playwright selector, for chaining and frames; only what CSS can say."""
    kinds = set(target) - {"nth", "exact"}
    if kinds == {"selector"}:
        selector = str(target["selector"])
    elif kinds == {"test_id"}:
        selector = f"[data-testid={_css_string(target['test_id'])}]"
    elif len(kinds) == 1 and (kind := next(iter(kinds))) in _ATTRIBUTE_KINDS:
        value = _css_string(target[kind])
        selector = f"[{kind}={value}]" if target.get("exact") else f"[{kind}*={value} i]"
    else:
        raise _Untranslatable(
            "a locator inside this locator has no journey target; use one locator, or CSS"
        )
    if "nth" in target:
        selector += f" >> nth={target['nth']}"
    return selector


def _css_string(value: object) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def _device(node: ast.expr) -> str | None:
    """`playwright.devices["iPhone 13"]` → `iPhone 13`."""
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "devices"
        and isinstance(name := _literal(node.slice), str)
    ):
        return name
    return None


def _viewport(node: ast.expr) -> dict[str, int] | None:
    size = _literal(node)
    if (
        isinstance(size, dict)
        and set(size) == {"width", "height"}
        and all(isinstance(v, int) and not isinstance(v, bool) for v in size.values())
    ):
        return {"width": size["width"], "height": size["height"]}
    return None


def _option(call: ast.Call) -> str:
    """The option of `select_option("x")`, `(["x"])`, `(value="x")` or `(label="x")`."""
    options = _keywords(call)
    if call.args:
        value = _literal(call.args[0])
    elif len(options) == 1 and ("value" in options or "label" in options):
        value = _literal(next(iter(options.values())))
    else:
        raise _Untranslatable("only one option, by value or label, can be selected")
    if isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str):
        raise _Untranslatable("only one option, by value or label, can be selected")
    return value


def _wait_for(target: dict[str, Any], call: ast.Call) -> dict[str, Any]:
    options = _keywords(call)
    state = _literal(options["state"]) if "state" in options else "visible"
    if state == "visible":
        return {"wait": {"visible": target}}
    if state in ("hidden", "detached"):
        return {"wait": {"hidden": target}}
    raise _Untranslatable(f"waiting for state {state!r} has no journey step")


def _screenshot(call: ast.Call, number: int) -> dict[str, Any]:
    options = _keywords(call)
    path = _literal(options["path"]) if "path" in options else None
    name = PurePath(path).stem if isinstance(path, str) and path else f"screenshot-{number}"
    if "full_page" in options and _literal(options["full_page"]) is True:
        return {"screenshot": {"name": name, "full_page": True}}
    return {"screenshot": name}


def _milliseconds(ms: float) -> str:
    if ms < 0:
        raise _Untranslatable("a negative time")
    return f"{ms / 1000:g}s" if ms % 1000 == 0 else f"{ms:g}ms"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.lower()
    default = {"http": ":80", "https": ":443"}.get(parts.scheme.lower(), "")
    if default and host.endswith(default):
        host = host[: -len(default)]
    return f"{parts.scheme.lower()}://{host}"


def _path(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if parts.fragment:
        path += "#" + parts.fragment
    return path


def _code(source: str, statement: ast.stmt) -> str:
    """The statement's source on one line; a compound statement's first line."""
    text = ast.get_source_segment(source, statement) or ast.unparse(statement)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if isinstance(statement, ast.With | ast.AsyncWith | ast.If | ast.For | ast.AsyncFor):
        return lines[0] + (" ..." if len(lines) > 1 else "")
    if isinstance(statement, ast.While | ast.Try | ast.FunctionDef | ast.ClassDef):
        return lines[0] + (" ..." if len(lines) > 1 else "")
    return " ".join(lines)


def _without(value: object, *keys: str) -> object:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in keys}
    return value


def _words(target: object) -> str:
    if isinstance(target, str):
        return target
    if isinstance(target, dict):
        keys = ("name", "text", "label", "test_id", "selector", "title", "alt")
        return " ".join(str(target[k]) for k in keys if k in target)
    return ""


# ---------------------------------------------------------------- YAML


_STEP_KEY_ORDER = ("name", "timeout", "payment", "confirms_order")


def _item_lines(item: _Item) -> Iterator[str]:
    if item.todo is not None:
        code, why = item.todo
        yield f"  # TODO (line {item.line}): {code}"
        yield f"  #   {why}"
    elif item.note is not None:
        yield f"  # NOTE: {item.note}"
    elif item.step is not None:
        action = next(k for k in item.step if k not in _STEP_KEY_ORDER)
        keys = [action, *(k for k in _STEP_KEY_ORDER if k in item.step)]
        for i, key in enumerate(keys):
            value = _short_targets(item.step[key])
            yield ("  - " if i == 0 else "    ") + f"{key}: {_flow(_escaped(value))}"


def _short_targets(value: Any) -> Any:
    """A target that is only a selector is written as the selector: `click: "#checkout"`."""
    if isinstance(value, dict):
        if set(value) == {"selector"}:
            return value["selector"]
        return {k: _short_targets(v) for k, v in value.items()}
    return value


def _leaves(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """The value with `leaf` applied to everything that is not a dict or a list."""
    if isinstance(value, dict):
        return {k: _leaves(v, leaf) for k, v in value.items()}
    if isinstance(value, list):
        return [_leaves(v, leaf) for v in value]
    return leaf(value)


def _plain(value: Any) -> Any:
    """The value as the loader would see it after interpolation-escaping (for validation)."""
    return _leaves(value, lambda v: str(v) if isinstance(v, _Raw) else v)


def _escaped(value: Any) -> Any:
    """`$` → `$$` in every string but the `${VAR:-default}` ones, as the loader interpolates."""

    def escape(v: Any) -> Any:
        if isinstance(v, _Raw):
            return str(v)
        return v.replace("$", "$$") if isinstance(v, str) else v

    return _leaves(value, escape)


def _flow(value: Any) -> str:
    """One-line YAML: `{role: button, name: Pay now}`."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if _plain_scalar_ok(text):
        return text
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    if text.isprintable():
        return "'" + text.replace("'", "''") + "'"
    return '"' + "".join(_escape_char(c) for c in text) + '"'


def _escape_char(char: str) -> str:
    """One character inside a YAML double-quoted string."""
    if char in '"\\':
        return "\\" + char
    if char.isprintable():
        return char
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def _plain_scalar_ok(text: str) -> bool:
    if not text or text != text.strip() or not text.isprintable() or "#" in text or '"' in text:
        return False
    try:
        return bool(
            yaml.safe_load("k: " + text) == {"k": text}
            and yaml.safe_load("{k: " + text + "}") == {"k": text}
            and yaml.safe_load("[" + text + "]") == [text]
        )
    except yaml.YAMLError:
        return False
