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
            workers=args.workers, scheduler=args.scheduler, new_session=args.new_session,
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

    d = sub.add_parser("demo", help="analyze the bundled sample capture",
                       description="Analyze the bundled sample capture with its profile.")
    d.add_argument("-o", "--output", default="trafficscope-demo", metavar="DIR",
                   help="output folder (default: trafficscope-demo)")
    d.add_argument("--db", metavar="FILE", help="session store (default: DIR/trafficscope.db)")
    d.set_defaults(func=cmd_demo)

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
