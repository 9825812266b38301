"""The `checkout-monitor` command line: every command, its help and its exit codes.

Exit codes: 0 all good; 1 a checkout failed or broke a budget; 2 bad input, or no browser.
Settings resolve once, here: a flag, then its CHECKOUT_MONITOR_* environment variable, then the
default. Every CheckoutMonitorError becomes a clear message on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from monitor import __version__
from monitor.errors import BrowserError, CheckoutMonitorError, ConfigError, JourneyError, Problem

if TYPE_CHECKING:
    from monitor.console import Progress
    from monitor.journey import Journey
    from monitor.result import RunResult
    from monitor.shard import Shard

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_JOURNEYS = "journeys"
DEMO_JOURNEYS = Path(__file__).parent / "demo" / "journeys"

Command = Callable[[argparse.Namespace], int]


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32, width=100)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="checkout-monitor",
        formatter_class=_Formatter,
        description=textwrap.dedent("""\
            Walks a web shop's checkout like a shopper, in headless Chromium, and tells you in
            numbers when buying has become hard: clicks to buy, page loads, errors, payment
            failures, unconfirmed orders."""),
        epilog=textwrap.dedent("""\
            start here:
              checkout-monitor demo                 see it work on the bundled demo shop
              checkout-monitor validate journeys/   check journey files
              checkout-monitor doctor               check the browser

            `checkout-monitor COMMAND --help` shows each command's options and examples."""),
    )
    parser.add_argument("--version", action="version", version=f"checkout-monitor {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    _add_demo(commands)
    _add_run(commands)
    _add_serve(commands)
    _add_validate(commands)
    _add_import(commands)
    _add_schema(commands)
    _add_doctor(commands)
    _add_demo_shop(commands)
    return parser


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    examples: str,
    handler: Command,
) -> argparse.ArgumentParser:
    sub = commands.add_parser(
        name,
        help=summary,
        description=textwrap.dedent(description),
        epilog="examples:\n" + textwrap.indent(textwrap.dedent(examples), "  "),
        formatter_class=_Formatter,
    )
    sub.set_defaults(handler=handler)
    return sub


def _paths_argument(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help=f"journey files or folders (default: {DEFAULT_JOURNEYS}/)",
    )


# ---------------------------------------------------------------- demo

DEMO_FAULT = "pay-button=covered"
DEMO_EVERY = 30.0  # seconds between runs of each journey with `demo --serve`


def _add_demo(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _command(
        commands,
        "demo",
        "see it work: run the bundled demo shop's journeys against it",
        f"""\
        Starts the bundled demo shop (and its payment provider) on free ports on 127.0.0.1,
        runs its journeys once in headless Chromium with the same output as `run`, then runs
        the guest checkout again with a fault switched on ({DEMO_FAULT}: a cookie banner
        covers the pay button) to show how a broken checkout is reported.
        Exit 0 when the healthy shop passed and the broken one was caught.

        With --serve it keeps the shop up and runs its journeys every {DEMO_EVERY:g}s (--every)
        as `serve` does, with the status page, /metrics and /api on --listen. It prints those
        addresses, the shop's, and the curl lines that switch a fault on and off in the shop:
        watch the failure show on the status page and in the metrics. --fault switches faults
        on from the start. Ctrl+C (or SIGTERM) stops the runs, the browser and the shop;
        exit 0.""",
        """\
        checkout-monitor demo
        checkout-monitor demo --fault decline-all        # see a different failure
        checkout-monitor demo --fault slow:/checkout=2500 --fault broken-images
        checkout-monitor demo --serve                    # live metrics and status page
        checkout-monitor demo --serve --fault decline-all --listen 127.0.0.1:9200""",
        _demo,
    )
    sub.add_argument(
        "--serve",
        action="store_true",
        help=f"instead of one run: keep the shop up and `serve` its journeys every "
        f"{DEMO_EVERY:g}s, with metrics and the status page; prints the curl lines that "
        "switch faults on and off in the shop",
    )
    sub.add_argument(
        "--fault",
        action="append",
        metavar="NAME",
        help=f"a fault to switch on (repeatable): for the second run (default: {DEMO_FAULT}), "
        "or with --serve from the start (default: none); "
        "`checkout-monitor demo-shop --list-faults` lists them",
    )
    sub.add_argument(
        "--artifacts",
        type=Path,
        default=Path("artifacts"),
        metavar="DIR",
        help="where failure screenshots, HTML and traces go (default: artifacts/)",
    )
    _trace_argument(sub, hidden=True)
    sub.add_argument(
        "--quiet",
        action="store_true",
        help="no per-step progress (with --serve: no line per run, only warnings)",
    )
    _browser_argument(sub)
    serving = sub.add_argument_group("with --serve")
    serve_only = _serve_arguments(sub, with_outputs=False, into=serving)
    serve_only.append(
        serving.add_argument(
            "--every",
            type=_interval,
            default=DEMO_EVERY,
            metavar="DURATION",
            help=f"how often each journey runs, e.g. 10s or 2m (default {DEMO_EVERY:g}s)",
        )
    )
    # What the flags of `--serve` alone are when not given (types applied, env read), to
    # tell a user who gives one without --serve that it would do nothing.
    defaults = sub.parse_args([])
    sub.set_defaults(
        serve_only={a.dest: (a.option_strings[0], getattr(defaults, a.dest)) for a in serve_only}
    )


def _interval(text: str) -> float:
    from monitor.journey import parse_duration

    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if seconds < 1:
        raise argparse.ArgumentTypeError("must be 1s or more")
    return seconds


def _demo(args: argparse.Namespace) -> int:
    from monitor.demo.faults import FaultError, parse_faults

    try:
        parse_faults(args.fault or [])  # every bad name at once, with the faults there are
    except FaultError as exc:
        raise ConfigError(str(exc)) from None
    if args.serve:
        return _serve_demo(args)
    given = [
        flag for dest, (flag, unset) in args.serve_only.items() if getattr(args, dest) != unset
    ]
    if given:
        them = "them" if len(given) > 1 else "it"
        raise ConfigError(
            f"{', '.join(given)}: only with --serve; add --serve, or leave {them} out"
        )
    return _demo_once(args, args.fault or [DEMO_FAULT])


def _demo_once(args: argparse.Namespace, faults: list[str]) -> int:
    from rich.console import Console

    from monitor.demo import DemoShopThread
    from monitor.loader import load_journeys

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
    args.parallel, args.json, args.junit, args.html = 1, None, None, None
    with DemoShopThread() as shop:
        console.print(
            f"[bold]Demo shop[/bold] at {shop.url} (payment provider at {shop.provider_url})\n"
        )
        journeys = load_journeys([DEMO_JOURNEYS], env={**os.environ, "SHOP_URL": shop.url})
        healthy = run_and_report(journeys, args)
        guest = [j for j in journeys if j.name == "demo-guest-checkout"]
        shop.set_faults(faults)
        console.print(
            f"\n[bold]Now the guest checkout with the fault {', '.join(faults)}[/bold]"
            " switched on:\n"
        )
        # What the shopper saw, as a report that opens from disk (path printed).
        args.html = args.artifacts / "report"
        broken = run_and_report([guest[0].model_copy(update={"timeout": 5.0})], args)
    console.print(_next_steps())
    return EXIT_OK if healthy == EXIT_OK and broken == EXIT_FAILED else EXIT_FAILED


def _serve_demo(args: argparse.Namespace) -> int:
    """The demo shop, and `serve` of its journeys every --every seconds, until stopped."""
    from monitor.demo import DemoShopThread
    from monitor.loader import load_journeys

    faults: list[str] = args.fault or []
    with DemoShopThread(faults=faults) as shop:
        env = {**os.environ, "SHOP_URL": shop.url}

        def load() -> list[Journey]:
            journeys = load_journeys([DEMO_JOURNEYS], env=env)
            return [j.model_copy(update={"every": args.every}) for j in journeys]

        print(
            f"Demo shop at {shop.url} (payment provider at {shop.provider_url}); "
            f"faults on: {', '.join(faults) or 'none'}",
            flush=True,
        )
        code = serve_journeys(
            load(), load, [str(DEMO_JOURNEYS)], args, more=_fault_switches(shop.url, args.every)
        )
    print("Stopped: the runs, the browser and the demo shop.", flush=True)
    return code


def _fault_switches(shop_url: str, every: float) -> str:
    """The shop's address and the exact commands that switch a fault on and off."""
    return (
        f"  shop         {shop_url}/\n"
        f"Each journey runs every {_human_seconds(every)}. Switch a fault on in the shop, watch "
        "it show, switch it off:\n"
        f'  curl -X POST {shop_url}/__faults -d \'{{"faults": ["decline-all"]}}\'\n'
        f"  curl -X DELETE {shop_url}/__faults\n"
        f"  curl {shop_url}/__faults      # what is on, and every fault there is\n"
    )


def _next_steps() -> str:
    return textwrap.dedent("""
        [bold]What next[/bold]
          checkout-monitor demo --fault decline-all      another fault (see demo-shop --help)
          checkout-monitor demo --serve                  the shop and its journeys every 30 s,
                                                         with metrics and a status page
          checkout-monitor demo-shop --port 8080         the demo shop alone, to explore at
                                                         http://127.0.0.1:8080 and to aim
          checkout-monitor run                           the journeys in journeys/ at it
          checkout-monitor validate                      check journey files
        Write journeys for your own shop: see README.md and examples/.""")


# ---------------------------------------------------------------- run


def _add_run(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _command(
        commands,
        "run",
        "run journeys once, for CI or by hand",
        """\
        Runs each journey once in headless Chromium, shows each step as it happens, and ends
        with a table: result, failure kind and step, duration, clicks, slowest page load.
        Exit 0 when every journey passed within its budgets, 1 when any failed or broke a
        budget, 2 for bad journey files or no usable browser.""",
        """\
        checkout-monitor run                                # every journey under journeys/
        checkout-monitor run journeys/checkout.yaml --journey guest-checkout
        checkout-monitor run --parallel 4 --junit junit.xml --json results.json
        SHOP_URL=https://staging.example.com TEST_CARD=4242424242424242 checkout-monitor run""",
        _run,
    )
    _paths_argument(sub)
    sub.add_argument(
        "--journey", action="append", metavar="NAME", help="run only this journey (repeatable)"
    )
    sub.add_argument(
        "--parallel",
        type=_positive_int,
        default=1,
        metavar="N",
        help="journeys playing their steps at a time, in one browser (default: 1)",
    )
    sub.add_argument("--json", type=Path, metavar="FILE", help="write results as JSON")
    sub.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML for CI")
    sub.add_argument(
        "--artifacts",
        type=Path,
        metavar="DIR",
        default=Path(os.environ.get("CHECKOUT_MONITOR_ARTIFACTS", "artifacts")),
        help="where failure screenshots, HTML and traces go "
        "(env CHECKOUT_MONITOR_ARTIFACTS; default: artifacts/)",
    )
    _trace_argument(sub)
    _filmstrip_argument(sub, "on-failure")
    sub.add_argument(
        "--html", type=Path, metavar="DIR", help="write an HTML report (opens from disk)"
    )
    sub.add_argument("--quiet", action="store_true", help="no per-step progress")
    _stop_argument(sub)
    _browser_argument(sub)


TRACE_HELP = (
    "Playwright traces (DOM snapshots, secrets masked, no screencast). on-failure (default): "
    "runs are not traced; `run` re-plays a failed run once with tracing and keeps that trace, "
    "`serve` traces a retry (journey `retries:`) from its start; retain-on-failure: trace "
    "every run, keep a failed run's own trace (slower: about 0.4 s more per 16-step "
    "checkout); always; off"
)


def _trace_argument(sub: argparse.ArgumentParser, hidden: bool = False) -> None:
    sub.add_argument(
        "--trace",
        choices=["on-failure", "retain-on-failure", "always", "off"],
        default="on-failure",
        help=argparse.SUPPRESS if hidden else TRACE_HELP,
    )


def _filmstrip_argument(sub: argparse.ArgumentParser, default: str) -> None:
    sub.add_argument(
        "--filmstrip",
        choices=["on-failure", "always", "off"],
        default=os.environ.get("CHECKOUT_MONITOR_FILMSTRIP", default),
        help="a small picture of the screen after each step that changed it, for journeys "
        "that do not say (`filmstrip:`): on-failure (`run`: a passing run takes none; a failed "
        "run keeps a frame at its failure and is re-played once, taking the frames, marked as "
        "the re-play's; `serve`: taken on every run, kept when it failed), always, off. Costs "
        f"about 40 ms of Chromium CPU a frame (default: {default}; env "
        "CHECKOUT_MONITOR_FILMSTRIP)",
    )


def _stop_argument(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--stop-before-payment",
        action="store_true",
        help="production-safe: walk every journey up to its payment step, check the pay "
        "button is usable (without pressing it), place no order",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _pick(journeys: list[Journey], names: list[str] | None) -> list[Journey]:
    if not names:
        return journeys
    known = {j.name: j for j in journeys}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"no journey named {', '.join(repr(n) for n in unknown)}; "
            f"known: {', '.join(sorted(known)) or 'none'}"
        )
    return [known[n] for n in dict.fromkeys(names)]


def _run(args: argparse.Namespace) -> int:
    def load() -> list[Journey]:
        from monitor.loader import load_journeys

        return _pick(load_journeys(_journey_paths(args), env=os.environ), args.journey)

    return run_and_report(load, args)


def run_and_report(
    journeys: list[Journey] | Callable[[], list[Journey]], args: argparse.Namespace
) -> int:
    """Run journeys once with progress, a summary and the reports asked for; the exit code.

    ``journeys`` may be the function that loads them: Playwright and the browser then start
    while they load (and the modules a run needs are imported)."""
    import asyncio

    from monitor.browser import find_browser
    from monitor.processes import adopt_orphans
    from monitor.session import run_journeys

    loaded: list[Journey] = []
    load = journeys if callable(journeys) else lambda: journeys
    try:
        found = find_browser(args.browser_path)
    except BrowserError as exc:
        _report_no_browser(args, load(), exc)
        raise
    adopt_orphans()  # the browser's helpers are ours to wait for, not init's: none outlives us
    shown: list[Progress] = []  # made beside the journeys, while the browser starts

    def prepare() -> list[Journey]:
        loaded.extend(load())
        progress = _progress(args)
        shown.append(progress)
        console = progress.console
        pace = f"{args.parallel} at a time" if args.parallel > 1 else "one at a time"
        count = f"{len(loaded)} journey{'s' * (len(loaded) != 1)}"
        console.print(f"Running {count} in {found.path} ({pace})")
        return loaded

    work = run_journeys(
        prepare,
        found,
        parallel=args.parallel,
        artifacts_dir=args.artifacts,
        trace=args.trace,
        filmstrip=getattr(args, "filmstrip", "on-failure"),
        on_step=lambda journey, step: shown[0].step(journey, step),
        on_result=lambda result: shown[0].result(result),
        stop_before_payment=getattr(args, "stop_before_payment", False),
    )
    try:
        results = asyncio.run(work)
    except BrowserError as exc:
        _report_no_browser(args, loaded, exc)
        raise
    from monitor.console import print_summary

    print_summary(shown[0].console, results)
    _write_reports(args, results, loaded)
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAILED


def _progress(args: argparse.Namespace) -> Progress:
    from rich.console import Console

    from monitor.console import Progress

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
    return Progress(console, quiet=args.quiet)


def _report_no_browser(args: argparse.Namespace, journeys: list[Journey], exc: Exception) -> None:
    """Reports still get written, each journey a monitor_error: never a false green in CI."""
    import time

    from monitor.result import Failure, FailureKind
    from monitor.result import RunResult as Result

    reason = "monitor error (not the shop): no usable browser: " + str(exc).splitlines()[0]
    failure = Failure(FailureKind.MONITOR_ERROR, None, None, reason)
    now = time.time()
    results = [
        Result(j.name, j.site_label, j.device, now, 0.0, passed=False, failure=failure)
        for j in journeys
    ]
    _write_reports(args, results, journeys)


def _write_reports(
    args: argparse.Namespace, results: list[RunResult], journeys: Sequence[Journey] = ()
) -> None:
    from monitor.report import markdown_summary, write_json, write_junit

    if args.json:
        write_json(args.json, results)
    if args.junit:
        write_junit(args.junit, results)
    args_html = getattr(args, "html", None)
    if args_html:
        from monitor.report_html import write_html_report

        index = write_html_report(args.html, results, {j.name: j.budgets for j in journeys})
        print(f"HTML report: {index}", file=sys.stderr)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            # Where the --html report is published, if it is: then linked, with failure frames.
            published = os.environ.get("CHECKOUT_MONITOR_ARTIFACT_URL") if args_html else None
            out.write(markdown_summary(results, published))


# ---------------------------------------------------------------- serve


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _command(
        commands,
        "serve",
        "run journeys on a schedule with metrics and a status page",
        """\
        Runs every journey on its own schedule (`every:`) in one kept-alive Chromium, and
        serves on --listen:
          /          the status page: each journey's state, failure and trend
          /metrics   Prometheus metrics (checkout_*)
          /healthz   200 when the browser is up
          /api/runs  recent results as JSON (?journey=NAME&limit=N)
        Journey files are re-read on SIGHUP and when they change; a broken file is reported
        and the previous version keeps running. SIGTERM or Ctrl+C stops it cleanly.""",
        """\
        checkout-monitor serve                                  # journeys/ on 127.0.0.1:9118
        checkout-monitor serve shop/ --listen 0.0.0.0:9118 --concurrency 4
        CHECKOUT_MONITOR_LOCATION=eu-west checkout-monitor serve""",
        _serve,
    )
    _paths_argument(sub)
    _serve_arguments(sub)
    _shard_argument(sub, "run")


def _serve_arguments(
    sub: argparse.ArgumentParser,
    with_outputs: bool = True,
    into: argparse._ArgumentGroup | None = None,
) -> list[argparse.Action]:
    """Options of `serve` (`into` a group of the help, if given); the actions added."""
    env = os.environ.get
    target: argparse._ActionsContainer = sub if into is None else into
    added = [
        target.add_argument(
            "--listen",
            default=env("CHECKOUT_MONITOR_LISTEN", "127.0.0.1:9118"),
            metavar="HOST:PORT",
            help="where to serve (env CHECKOUT_MONITOR_LISTEN; default 127.0.0.1:9118)",
        ),
        target.add_argument(
            "--concurrency",
            type=_positive_int,
            default=None,
            metavar="N",
            help="journeys running at once (env CHECKOUT_MONITOR_CONCURRENCY; default 2)",
        ),
        target.add_argument(
            "--location",
            default=env("CHECKOUT_MONITOR_LOCATION", ""),
            metavar="NAME",
            help="the `location` label of every series (env CHECKOUT_MONITOR_LOCATION)",
        ),
        target.add_argument(
            "--config",
            type=Path,
            default=env("CHECKOUT_MONITOR_CONFIG"),  # argparse applies `type` to a str default
            metavar="FILE",
            help="config file with built-in alert notifications (env CHECKOUT_MONITOR_CONFIG); "
            "see README",
        ),
        target.add_argument(
            "--web-config",
            type=Path,
            default=env("CHECKOUT_MONITOR_WEB_CONFIG"),
            metavar="FILE",
            help="basic auth and TLS for the HTTP endpoints, in Prometheus exporter-toolkit's "
            "web config format (env CHECKOUT_MONITOR_WEB_CONFIG)",
        ),
        target.add_argument(
            "--keep-artifacts",
            type=int,
            default=20,
            metavar="N",
            help="failed runs kept per journey (default 20)",
        ),
    ]
    if not with_outputs:
        return added  # `demo` has these already
    _stop_argument(sub)
    sub.add_argument(
        "--artifacts",
        type=Path,
        default=Path(env("CHECKOUT_MONITOR_ARTIFACTS", "artifacts")),
        metavar="DIR",
        help="failure screenshots, HTML and traces (default: artifacts/)",
    )
    _trace_argument(sub)
    _filmstrip_argument(sub, "off")  # every run pays for frames: see README
    _browser_argument(sub)
    return added


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"--listen {text!r}: write HOST:PORT, e.g. 127.0.0.1:9118")
    return host.strip("[]") or "127.0.0.1", int(port)


def _shard_argument(sub: argparse.ArgumentParser, verb: str) -> None:
    sub.add_argument(
        "--shard",
        metavar="K/N",
        help=f"{verb} only the journeys that fall to shard K of N (env CHECKOUT_MONITOR_SHARD; "
        "or CHECKOUT_MONITOR_SHARDS=N, K from a StatefulSet pod's ordinal: pod NAME-0 is 1/N)",
    )


def _shard(args: argparse.Namespace) -> Shard:
    """--shard, else the environment (CHECKOUT_MONITOR_SHARD, or _SHARDS and the pod ordinal)."""
    from monitor.shard import Shard

    return Shard.parse(args.shard) if args.shard else Shard.from_env(os.environ)


def _serve(args: argparse.Namespace) -> int:
    from monitor.loader import load_journeys

    shard = _shard(args)
    paths = _journey_paths(args)

    def load() -> list[Journey]:
        # Every file is read and validated; the shard keeps its journeys, on reload too.
        return shard.select(load_journeys(paths, env=os.environ))

    banner = f"Shard {shard}: " if shard.count > 1 else ""
    return serve_journeys(load(), load, paths, args, banner=banner)


def serve_journeys(
    journeys: list[Journey],
    load: Callable[[], list[Journey]],
    paths: list[str],
    args: argparse.Namespace,
    banner: str = "",
    more: str = "",
) -> int:
    """Serve journeys until SIGTERM/SIGINT; `more` is printed under the addresses."""
    import asyncio
    import logging

    from monitor.browser import find_browser
    from monitor.processes import adopt_orphans
    from monitor.serve import Monitor, ServeOptions, serve_forever

    host, port = _listen(args.listen)
    if args.concurrency is None:
        try:
            args.concurrency = _positive_int(os.environ.get("CHECKOUT_MONITOR_CONCURRENCY", "2"))
        except argparse.ArgumentTypeError as exc:
            raise ConfigError(f"CHECKOUT_MONITOR_CONCURRENCY: {exc}") from None
    alerts = None
    if args.config is not None:
        from monitor.config import load_config

        alerts = load_config(args.config, os.environ).alerts
    web = None
    if args.web_config is not None:
        from monitor.webconfig import load_web_config, ssl_context

        web = load_web_config(args.web_config, os.environ)
        ssl_context(web)  # a bad certificate is an error now, not after the browser started
    found = find_browser(args.browser_path)
    adopt_orphans()  # the browser's helpers are ours to wait for, not init's: none outlives us
    logging.basicConfig(
        level=logging.WARNING if getattr(args, "quiet", False) else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
    )
    options = ServeOptions(
        paths=paths,
        host=host,
        port=port,
        concurrency=args.concurrency,
        artifacts_dir=args.artifacts,
        keep_artifacts=args.keep_artifacts,
        trace=args.trace,
        filmstrip=getattr(args, "filmstrip", "off"),
        location=args.location,
        alerts=alerts,
        web=web,
        stop_before_payment=getattr(args, "stop_before_payment", False),
    )

    def ready(url: str) -> None:
        count = f"{len(journeys)} journey{'s' * (len(journeys) != 1)}"
        print(
            f"{banner}Serving {count} with {found.path}\n"
            f"  status page  {url}/\n  metrics      {url}/metrics\n"
            f"  results      {url}/api/runs\n{more}Ctrl+C stops.",
            flush=True,
        )

    async def main() -> None:
        await serve_forever(Monitor(load, found, options), journeys, on_ready=ready)

    try:
        asyncio.run(main())
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return EXIT_OK


# ---------------------------------------------------------------- validate


def _add_validate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _command(
        commands,
        "validate",
        "check journey files and list the journeys in them",
        """\
        Reads every journey file (YAML) under the given paths, checks it against the journey
        language and reports every problem of every file at once, as file:line:column, the place
        inside the journey, and what is allowed. Exit 0 when all are valid, 2 otherwise.
        ${VAR} and ${VAR:-default} are filled from the environment, as at run time.""",
        """\
        checkout-monitor validate                      # everything under journeys/
        checkout-monitor validate journeys/checkout.yaml shops/
        SHOP_URL=https://staging.example.com checkout-monitor validate""",
        _validate,
    )
    _paths_argument(sub)
    _shard_argument(sub, "list")
    sub.add_argument(
        "--no-devices",
        action="store_true",
        help="skip checking device names against Playwright's list (faster)",
    )


def _journey_paths(args: argparse.Namespace) -> list[str]:
    if args.paths:
        return list(args.paths)
    if not Path(DEFAULT_JOURNEYS).is_dir():
        raise JourneyError(
            [
                Problem(
                    DEFAULT_JOURNEYS,
                    1,
                    1,
                    "",
                    "no journeys/ folder here; name journey files or "
                    "folders, e.g. `checkout-monitor validate path/to/journeys`",
                )
            ]
        )
    return [DEFAULT_JOURNEYS]


def _validate(args: argparse.Namespace) -> int:
    from monitor.loader import load_journeys

    shard = _shard(args)
    devices = None if args.no_devices else _device_names()
    try:
        journeys = load_journeys(_journey_paths(args), env=os.environ, devices=devices)
    except JourneyError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        files = len({p.file for p in exc.problems})
        count = len(exc.problems)
        print(
            f"\n{count} problem{'s' * (count != 1)} in {files} file{'s' * (files != 1)}; "
            "nothing was run.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    for journey in shard.select(journeys):
        steps = len(journey.steps)
        print(
            f"ok  {journey.name:<32} {steps:>3} step{'s' * (steps != 1)}  every "
            f"{_human_seconds(journey.every):<6} {journey.device:<16} {journey.origin}"
        )
    valid = f"{len(journeys)} journey{'s' * (len(journeys) != 1)} valid"
    if shard.count > 1:
        print(f"{valid}; shard {shard} takes {len(shard.select(journeys))} of them.")
    else:
        print(f"{valid}.")
    return EXIT_OK


def _device_names() -> list[str] | None:
    from monitor.browser import device_names

    try:
        return device_names()
    except Exception:
        return None


def _human_seconds(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


# ---------------------------------------------------------------- import


def _add_import(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _command(
        commands,
        "import",
        "turn a `playwright codegen` recording into a journey",
        """\
        Reads a script recorded with `playwright codegen --target python` (or python-async,
        python-pytest) and writes a journey: gotos, clicks, fills, selects, checks, presses,
        expects, frames and popups. Card numbers and passwords become ${TEST_CARD}-style
        variables listed under `secrets:`. What it cannot translate is kept as a TODO comment
        at its place and listed here. The script is parsed, never run.""",
        """\
        playwright codegen --target python -o checkout.py https://shop.example.com
        checkout-monitor import checkout.py -o journeys/checkout.yaml
        checkout-monitor import checkout.py --name guest-checkout > checkout.yaml""",
        _import,
    )
    sub.add_argument("script", metavar="FILE", help="the recorded script, or - for stdin")
    sub.add_argument(
        "-o", "--output", type=Path, metavar="OUT", help="write the journey here (default: stdout)"
    )
    sub.add_argument("--name", help="the journey's name (default: from the file name)")


def _import(args: argparse.Namespace) -> int:
    from monitor.codegen import import_codegen

    if args.script == "-":
        source, file = sys.stdin.read(), "<stdin>"
    else:
        try:
            source, file = Path(args.script).read_text(encoding="utf-8"), args.script
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {args.script}: {exc}") from None
    result = import_codegen(source, name=args.name, file=file)
    report = sys.stdout
    if args.output is not None:
        args.output.write_text(result.yaml_text, encoding="utf-8")
        where = str(args.output)
    else:
        sys.stdout.write(result.yaml_text)
        report, where = sys.stderr, "the output"
    print(
        f"wrote {where}: journey '{result.name}', {result.steps} steps, base_url {result.base_url}",
        file=report,
    )
    if result.secrets:
        print(
            f"secrets: {', '.join(result.secrets)}: set them in the environment; the recorded "
            "values are only defaults in the file",
            file=report,
        )
    if result.untranslated:
        print(
            f"{len(result.untranslated)} statements not translated (TODO comments in {where}):",
            file=report,
        )
        for line, code in result.untranslated:
            print(f"  {file}:{line}: {code}", file=report)
    target = args.output or "FILE"
    print(
        f"next: checkout-monitor validate {target}, then checkout-monitor run {target}", file=report
    )
    return EXIT_OK


# ---------------------------------------------------------------- schema


def _add_schema(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _command(
        commands,
        "schema",
        "print the JSON Schema of journey files (for editors)",
        """\
        Prints the JSON Schema of a journey file. Editors that speak yaml-language-server
        (VS Code's YAML extension, neovim, JetBrains) then complete and check journeys as you
        type: put this first line in a journey file:
            # yaml-language-server: $schema=path/to/journey.schema.json""",
        """\
        checkout-monitor schema > journey.schema.json
        checkout-monitor schema --output journey.schema.json""",
        _schema,
    )
    sub.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")


def _schema(args: argparse.Namespace) -> int:
    from monitor.journey import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


# ---------------------------------------------------------------- doctor


def _add_doctor(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = _command(
        commands,
        "doctor",
        "check that a browser is found and can open a page",
        """\
        Reports which Chromium would be used (and how it was found), its version and
        Playwright's, then launches it and opens a page served on 127.0.0.1.
        Exit 0 when the browser works, 2 when there is none or it cannot open a page.""",
        """\
        checkout-monitor doctor
        checkout-monitor doctor --browser-path /usr/bin/chromium
        checkout-monitor doctor --devices            # list device names for journeys""",
        _doctor,
    )
    _browser_argument(sub)
    sub.add_argument(
        "--devices", action="store_true", help="list the device names a journey's `device:` accepts"
    )


def _browser_argument(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--browser-path",
        metavar="PATH",
        help="Chromium to use (env CHECKOUT_MONITOR_CHROMIUM; default: search Playwright's "
        "browsers, then chromium-headless-shell / chromium on PATH)",
    )


def _doctor(args: argparse.Namespace) -> int:
    from monitor.doctor import check_browser

    if args.devices:
        for name in _device_names() or []:
            print(name)
        return EXIT_OK
    report = check_browser(args.browser_path)
    for key, value in report.lines:
        print(f"{key:<18} {value}")
    if not report.ok:
        print(f"\n{report.problem}", file=sys.stderr)
        return EXIT_USAGE
    print("\nThe browser works.")
    return EXIT_OK


# ---------------------------------------------------------------- demo-shop


def _add_demo_shop(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser(
        "demo-shop",
        help="run the bundled demo shop alone (with switchable faults)",
        add_help=False,
    )
    sub.add_argument("rest", nargs=argparse.REMAINDER)
    sub.set_defaults(handler=_demo_shop)


def _demo_shop(args: argparse.Namespace) -> int:
    from monitor.demo.__main__ import main as demo_shop_main

    return int(demo_shop_main(list(args.rest), prog="checkout-monitor demo-shop"))


# ---------------------------------------------------------------- main


def command() -> NoReturn:
    """The `checkout-monitor` command: `main`, then out. Everything a command opened is closed
    and its output written when `main` returns; what the interpreter would do after that —
    tearing down the few hundred modules a run imports, 50-100 ms — changes nothing, so it is
    skipped: logs and standard streams are flushed, and the process ends with main's code."""
    code = main()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo-shop"]:
        # Its options belong to the demo shop's own parser (argparse's REMAINDER cannot
        # start with an option such as --port).
        from monitor.demo.__main__ import main as demo_shop_main

        return int(demo_shop_main(argv[1:], prog="checkout-monitor demo-shop"))
    parser = _parser()
    args = parser.parse_args(argv)
    handler: Command | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return handler(args)
    except JourneyError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    except CheckoutMonitorError as exc:
        print(f"checkout-monitor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
