"""``python -m monitor.demo``: run the demo shop and its payment provider until Ctrl+C.

>>> main(["--fault", "no-such-fault"])  # doctest: +SKIP
2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from monitor.demo.faults import FAULT_SPECS, FaultError, FaultSet
from monitor.demo.server import Gates, start_demo_shop

PROG = "python -m monitor.demo"

EXAMPLES = """\
examples:
  %(prog)s                                   shop on :8080, provider on a free port
  %(prog)s --port 0                          free ports for both; the addresses are printed
  %(prog)s --fault slow:/checkout=2000 --fault pay-button=offscreen-mobile
  %(prog)s --list-faults                     every fault there is
  %(prog)s --basic-auth staging:s3cret       the shop behind HTTP basic auth, as staging is
  %(prog)s --fault bot-wall                  403 challenge unless the printed header is sent

change faults while it runs:
  curl http://127.0.0.1:8080/__faults
  curl -X POST http://127.0.0.1:8080/__faults -d '{"faults": ["decline-all"]}'
  curl -X DELETE 'http://127.0.0.1:8080/__faults?name=decline-all'
  curl -X DELETE http://127.0.0.1:8080/__faults

test cards: 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined;
  4000 0000 0000 0119 fails at the processor; 4000 0027 6000 3184 asks for 3-D Secure.
"""


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run the bundled demo shop (and its payment provider) with switchable faults.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="shop port; 0 picks one (8080)")
    parser.add_argument(
        "--provider-port", type=int, default=0, help="payment provider port; 0 picks one (0)"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="switch on a fault at start; repeatable (see --list-faults)",
    )
    parser.add_argument("--list-faults", action="store_true", help="list every fault and exit")
    parser.add_argument(
        "--basic-auth",
        metavar="USER:PASS",
        type=_credentials,
        help="put the shop (not the payment provider) behind HTTP basic auth",
    )
    parser.add_argument(
        "--no-analytics",
        dest="analytics",
        action="store_false",
        help="no analytics tag on the pages (and no analytics origin)",
    )
    return parser


def _credentials(text: str) -> tuple[str, str]:
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        raise argparse.ArgumentTypeError("write USER:PASS, e.g. staging:s3cret")
    return user, password


def fault_table() -> str:
    """Every fault, how to write it, an example and what it does, for --list-faults."""
    return "\n".join(
        f"  {spec.syntax}\n      {spec.description} (e.g. {spec.example})" for spec in FAULT_SPECS
    )


async def serve(
    host: str,
    port: int,
    provider_port: int,
    faults: FaultSet,
    basic_auth: tuple[str, str] | None = None,
    analytics: bool = True,
) -> None:
    """Run until SIGINT or SIGTERM, printing the addresses once both servers listen."""
    shop = await start_demo_shop(
        host, port, provider_port, faults, basic_auth=basic_auth, analytics=analytics
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        print(f"Demo shop:        {shop.url}")
        print(f"Payment provider: {shop.provider_url}")
        print(f"Active faults:    {', '.join(faults.names()) or 'none'}")
        for line in gate_lines(shop.gates, shop.analytics_url):
            print(line)
        print(f"Fault admin:      {shop.url}/__faults   (Ctrl+C stops)", flush=True)
        await stop.wait()
    finally:
        await shop.close()


def gate_lines(gates: Gates, analytics_url: str) -> list[str]:
    """What a monitor needs to be told to pass the shop's gates."""
    name, token = gates.allowlist_header
    account = gates.two_factor_account
    lines = []
    if gates.basic_auth:
        lines.append(f"Basic auth:       user {gates.basic_auth[0]!r} (the password you gave)")
    lines += [
        f"Bot wall:         fault bot-wall lets through requests with {name}: {token}",
        f"2FA account:      {account.email} / {account.password}",
        f"  TOTP secret:    {account.totp_secret}",
    ]
    if analytics_url:
        lines.append(f"Analytics:        {analytics_url} (a tag on every page reports here)")
    return lines


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    """Entry point; returns the exit code (2 for a bad fault name or flag)."""
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2
    if args.list_faults:
        print(f"Faults:\n{fault_table()}")
        return 0
    try:
        faults = FaultSet(args.fault)
    except FaultError as error:
        print(f"{prog}: error: {'; '.join(error.problems)}", file=sys.stderr)
        print(f"valid faults:\n{fault_table()}", file=sys.stderr)
        return 2
    try:
        asyncio.run(
            serve(args.host, args.port, args.provider_port, faults, args.basic_auth, args.analytics)
        )
    except OSError as error:
        reason = error.strerror or error
        print(f"{prog}: error: cannot listen on {args.host}: {reason}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    print("Demo shop stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
