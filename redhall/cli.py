"""`redhall` subcommands. Each command parses its arguments, calls one package, prints.

Output goes to injected rich consoles so tests capture it without a terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from protocol.errors import RedhallError
from redhall import content_commands, credit_commands, engine_commands, server_commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="redhall", description="RedHall exhibition system")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    content_commands.register(commands)
    engine_commands.register(commands)
    server_commands.register(commands)
    credit_commands.register(commands)
    return parser


def main(argv: Sequence[str] | None = None, out: Console | None = None,
         err: Console | None = None) -> int:
    """Run one subcommand; returns the process exit code."""
    # Emoji codes off: positions like `file:100:1` must print as written.
    out = out or Console(highlight=False, soft_wrap=True, emoji=False)
    err = err or Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args, out, err))
    except RedhallError as exc:
        if getattr(args, "json", False):
            out.print_json(json.dumps({"ok": False, "error": str(exc),
                                       "kind": type(exc).__name__}))
        else:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", emoji=False)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("interrupted; nothing was written")
        return 130


if __name__ == "__main__":
    sys.exit(main())
