"""Command line: each command parses its arguments, calls the library, stops."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from . import __version__
from .errors import ReadError, TrafficscopeError

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2
DEFAULT_DB = "trafficscope.db"


def _err(msg: str) -> None:
    print(f"trafficscope: {msg}", file=sys.stderr)


def cmd_analyze(args: argparse.Namespace) -> int:
    from .batch import analyze_files
    from .export import jsonl_line, private_text_file, redact, write_parquet_dataset
    from .profile import load_profile
    from .store import Store
    from .summary import render

    if args.workers < 1:
        _err("--workers must be at least 1")
        return EXIT_USAGE
    profile = load_profile(args.profile) if args.profile else None
    to_stdout = args.jsonl == "-"
    with Store(args.db) as store, ExitStack() as stack:
        out = stack.enter_context(private_text_file(args.jsonl)) if args.jsonl else None
        summary = analyze_files(
            args.inputs, store, profile=profile, app=args.app, first_party=args.first_party,
            owner_files=args.owners, geoip=args.geoip, workers=args.workers,
            scheduler=args.scheduler, new_session=args.new_session, keylog=args.keylog,
            on_finding=(lambda f: print(jsonl_line(redact(f.to_record())), file=out))
            if out else None,
            progress=sys.stderr.isatty())
        if args.parquet:
            n = write_parquet_dataset(store, summary.session, args.parquet)
            print(f"{n} findings written to the Parquet dataset {args.parquet}",
                  file=sys.stderr if to_stdout else sys.stdout)
    print(render(summary), file=sys.stderr if to_stdout else sys.stdout)
    for message in summary.errors:
        _err(message)
    return EXIT_INPUT if summary.errors else EXIT_OK


def cmd_findings(args: argparse.Namespace) -> int:
    from .export import export
    from .store import open as open_store

    with open_store(args.db) as store:
        records = store.iter_findings(args.session)
        fmt = args.format or _format_from_suffix(args.output)
        if fmt == "parquet" and args.output == "-":
            _err("parquet needs an output file: -o FILE")
            return EXIT_USAGE
        n = export(records, fmt, args.output, raw=args.raw)
    if args.output != "-":
        print(f"{n} findings written to {args.output}")
    return EXIT_OK


def _format_from_suffix(path: str) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"csv": "csv", "parquet": "parquet", "pq": "parquet"}.get(suffix, "jsonl")


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report
    from .store import open as open_store

    with open_store(args.db) as store:
        report = write_report(store, args.output, session=args.session, reveal=args.reveal,
                              compare=args.compare)
    print(f"report of {report.findings} findings in {report.flows} flows written to "
          f"{report.index}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    print(run_demo(Path(args.output), db=args.db))
    return EXIT_OK


def cmd_profile_init(args: argparse.Namespace) -> int:
    from .profile import TEMPLATE

    if args.file == "-":
        sys.stdout.write(TEMPLATE)
        return EXIT_OK
    path = Path(args.file)
    if path.exists() and not args.force:
        _err(f"{path}: already exists (use --force to overwrite)")
        return EXIT_INPUT
    path.write_text(TEMPLATE, encoding="utf-8")
    os.chmod(path, 0o600)
    print(f"profile template written to {path}: fill in the test phone's values")
    return EXIT_OK


def cmd_proxy(args: argparse.Namespace) -> int:
    from . import proxy

    try:
        modes = tuple(proxy.check_mode(m) for m in args.mode)
        proxy.parse_client_apps(args.client_app)
    except ValueError as e:
        _err(str(e))
        return EXIT_USAGE
    if args.profile:
        from .profile import load_profile

        load_profile(args.profile)  # a bad profile is reported before mitmdump starts
    elif args.substitute:
        _err("--substitute needs --profile (the values to replace)")
        return EXIT_USAGE
    proxy.validate_db(args.db)
    cfg = proxy.ProxyConfig(
        host=args.listen_host, port=args.port, modes=modes, db=args.db, profile=args.profile,
        app=args.app, session=args.session, substitute=args.substitute,
        proxyauth=proxy.check_listen(args.listen_host, args.no_auth, args.proxyauth),
        client_apps=tuple(args.client_app), sets=tuple(args.set))
    argv = proxy.mitmdump_argv(cfg, proxy.mitmdump_path(), proxy.addon_path())
    print(proxy.setup_steps(cfg), flush=True)
    os.execv(argv[0], argv)  # the proxy is mitmdump itself: signals reach it directly
    return EXIT_OK  # not reached


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    return int(text)


def cmd_mark(args: argparse.Namespace) -> int:
    from .store import Store

    with Store(args.db, create=False) as store:
        session = store.resolve_session(args.session or store.latest_session_of("proxy"))
        ts = store.add_mark(session, args.name, note=args.note)
    print(f"marked {args.name!r} in session {session} at {ts:.3f}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="trafficscope",
        description="Show what personal data a phone's apps send, and to whom.")
    p.add_argument("--version", action="version", version=f"trafficscope {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    a = sub.add_parser("analyze", help="analyze HAR / mitmproxy flow files or folders of them",
                       description="Read captures, find personal data, store a session.")
    a.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="HAR (.har, .zhar) or mitmproxy flow files, or folders of them")
    a.add_argument("--profile", metavar="FILE", help="TOML profile of the test phone")
    a.add_argument("--app", metavar="ID", help="app id (package name) the traffic belongs to")
    a.add_argument("--first-party", metavar="DOMAIN", nargs="+", default=[],
                   help="domains run by the app's own organisation")
    a.add_argument("--owners", metavar="FILE", action="append", default=[],
                   help="owner list to add to the bundled one (repeatable; later wins): "
                        "DuckDuckGo Tracker Radar/TDS JSON, Disconnect services.json, "
                        "Exodus trackers JSON or an owners CSV")
    a.add_argument("--geoip", metavar="FILE.mmdb",
                   help="MaxMind or DB-IP country/city database to use instead of the "
                        "bundled GeoLite2 Country data")
    a.add_argument("--db", default=DEFAULT_DB, metavar="FILE",
                   help=f"session store (default: {DEFAULT_DB})")
    a.add_argument("--jsonl", metavar="FILE",
                   help="also write findings as JSON Lines ('-': stdout)")
    a.add_argument("--workers", type=int, default=1, metavar="N",
                   help="analyze captures in N local processes (default: 1)")
    a.add_argument("--scheduler", metavar="ADDR",
                   help="analyze on a Dask cluster, e.g. tcp://10.0.0.5:8786")
    a.add_argument("--parquet", metavar="DIR",
                   help="also write findings as a Parquet dataset partitioned by app and capture")
    a.add_argument("--new-session", action="store_true",
                   help="start a new session even if a run of the same inputs can be continued")
    a.add_argument("--keylog", metavar="FILE",
                   help="TLS key log (SSLKEYLOGFILE format) to decrypt HTTPS in pcap/pcapng "
                        "inputs; needs tshark")
    a.set_defaults(func=cmd_analyze)

    f = sub.add_parser("findings", help="export the findings of a session",
                       description="Export findings as JSON Lines, CSV or Parquet.")
    f.add_argument("--db", default=DEFAULT_DB, metavar="FILE",
                   help=f"session store (default: {DEFAULT_DB})")
    f.add_argument("--session", metavar="ID", help="session id (default: the latest)")
    f.add_argument("--format", choices=("jsonl", "csv", "parquet"),
                   help="output format (default: from the -o suffix, else jsonl)")
    f.add_argument("-o", "--output", default="-", metavar="FILE",
                   help="output file (default: stdout)")
    f.add_argument("--raw", action="store_true",
                   help="keep the (masked) values of findings in Cookie, Set-Cookie and "
                        "Authorization headers, which are dropped by default")
    f.set_defaults(func=cmd_findings)

    r = sub.add_parser("report", help="write an HTML report of a session with charts",
                       description="Write DIR/index.html (self-contained), DIR/charts/*.png "
                       "and *.svg, and DIR/findings.csv for a session.")
    r.add_argument("--db", default=DEFAULT_DB, metavar="FILE",
                   help=f"session store (default: {DEFAULT_DB})")
    r.add_argument("--session", metavar="ID", help="session id (default: the latest)")
    r.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    r.add_argument("--reveal", action="store_true",
                   help="show the stored, partly masked values and full hashes "
                   "(default: values hidden; raw values are never stored)")
    r.add_argument("--compare", metavar="SESSION",
                   help="add a chart comparing this session with another one")
    r.set_defaults(func=cmd_report)

    d = sub.add_parser("demo", help="analyze the bundled sample capture",
                       description="Analyze the bundled sample capture with its profile.")
    d.add_argument("-o", "--output", default="trafficscope-demo", metavar="DIR",
                   help="output folder (default: trafficscope-demo)")
    d.add_argument("--db", metavar="FILE", help="session store (default: DIR/trafficscope.db)")
    d.set_defaults(func=cmd_demo)

    px = sub.add_parser(
        "proxy", help="run mitmproxy for a test phone and show leaks live",
        description="Run mitmdump with the trafficscope addon: prints the phone's setup "
                    "steps, then one line per leak; every flow and finding is stored as it "
                    "happens.")
    px.add_argument("--listen-host", default="127.0.0.1", metavar="H",
                    help="address to listen on (default: 127.0.0.1, this computer only)")
    px.add_argument("--port", "-p", type=_port, default=8080, metavar="P",
                    help="port to listen on (default: 8080)")
    px.add_argument("--mode", action="append", default=[], metavar="MODE",
                    help="mitmproxy mode: regular (default), wireguard, transparent, "
                         "upstream:URL (repeatable)")
    px.add_argument("--profile", metavar="FILE", help="TOML profile of the test phone")
    px.add_argument("--app", metavar="ID", help="app id of all traffic (default: inferred)")
    px.add_argument("--db", default=DEFAULT_DB, metavar="FILE",
                    help=f"session store (default: {DEFAULT_DB})")
    px.add_argument("--session", metavar="ID",
                    help="continue session ID ('latest': the latest proxy session)")
    px.add_argument("--substitute", action="store_true",
                    help="replace the profile's values in requests by consistent fakes")
    px.add_argument("--proxyauth", metavar="USER:PASS",
                    help="proxy login (default beyond loopback: random, printed)")
    px.add_argument("--no-auth", action="store_true",
                    help="no proxy login even when listening beyond loopback")
    px.add_argument("--client-app", action="append", default=[], metavar="PORT=APP",
                    help="flows through the proxy server on PORT belong to APP, e.g. "
                         "a WireGuard tunnel limited to one app (repeatable)")
    px.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="extra mitmproxy option, e.g. confdir=~/.mitmproxy (repeatable)")
    px.set_defaults(func=cmd_proxy)

    mk = sub.add_parser("mark", help="mark a moment (e.g. consent) in the running session",
                        description="Record a named moment in a proxy session; findings "
                                    "before the 'consent' mark are labelled pre-consent.")
    mk.add_argument("name", metavar="NAME", help="what happened, e.g. consent")
    mk.add_argument("--note", help="free text kept with the mark")
    mk.add_argument("--db", default=DEFAULT_DB, metavar="FILE",
                    help=f"session store (default: {DEFAULT_DB})")
    mk.add_argument("--session", metavar="ID", help="session id (default: the latest proxy "
                                                    "session)")
    mk.set_defaults(func=cmd_mark)

    pr = sub.add_parser("profile", help="profile of the test phone",
                        description="Manage the profile of the test phone.")
    prs = pr.add_subparsers(dest="profile_command", required=True, metavar="ACTION")
    init = prs.add_parser("init", help="write a commented profile template",
                          description="Write a commented profile template.")
    init.add_argument("file", nargs="?", default="profile.toml", metavar="FILE",
                      help="where to write it (default: profile.toml; '-': stdout)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(func=cmd_profile_init)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except ReadError as e:
        _err(str(e))
        return EXIT_INPUT
    except TrafficscopeError as e:
        _err(str(e))
        return EXIT_INPUT
    except KeyboardInterrupt:
        _err("interrupted; flows read so far are stored")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # last resort: hostile input must never end in a traceback
        logging.getLogger(__name__).info("internal error", exc_info=True)
        where = " ".join(getattr(args, "inputs", None) or ())
        _err(f"internal error{' while reading ' + where if where else ''}: "
             f"{type(e).__name__} (please report; -v shows details)")
        return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main())
