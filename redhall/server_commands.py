"""Server commands: `redhall serve` and `redhall demo`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path
from typing import Any

from rich.console import Console

from redhall.content_commands import DEFAULT_CACHE, DEFAULT_KEY, run_build
from tools.props import BuildOptions


def _settings(args: argparse.Namespace) -> Any:
    from server.settings import Settings

    settings = Settings.load(Path(args.config) if args.config else None)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    return settings.model_copy(update=overrides)


def _serve(args: argparse.Namespace, out: Console, err: Console) -> int:
    from aiohttp import web

    from server import workers
    from server.app import create_app
    from server.collector import settle_collector
    from server.logs import configure
    from server.tls import TlsRefused, server_context

    configure()
    settings = _settings(args)
    try:
        tls = server_context(settings)
    except TlsRefused as exc:
        err.print(f"[red]error:[/] {exc}")
        return 2
    if args.workers != 1:
        try:
            return workers.serve(settings, args.workers, err.print)
        except workers.WorkersRefused as exc:
            err.print(f"[red]error:[/] {exc}")
            return 2
    app = create_app(settings)
    app.on_startup.append(settle_collector)
    web.run_app(app, host=settings.host, port=settings.port, ssl_context=tls,
                print=lambda text: err.print(text), loop=workers.event_loop())
    return 0


def _demo(args: argparse.Namespace, out: Console, err: Console) -> int:
    from server.demo import ACCOUNTS, DEMO_PASSWORD, prepare, serve_forever
    from server.settings import Settings

    results = run_build([Path("exhibits")], Path("var/exhibits"), None, BuildOptions(),
                        DEFAULT_CACHE, out, err, False, show_repairs=False)
    settings = Settings(database_url="sqlite+aiosqlite:///var/redhall.db",
                        data_dir=Path("var/data"), host=args.host, port=args.port,
                        site_url=f"http://{args.host}:{args.port}",
                        trusted_keys=[DEFAULT_KEY.with_name(DEFAULT_KEY.name + ".pub")])

    async def main() -> None:
        runner, info = await prepare(settings, [r.path for r in results])
        out.print(f"\n[bold]RedHall is running at {info.url}[/]")
        out.print(f"published: {', '.join(info.packages)}; guide-1 has scheduled a tour for "
                  "branch 1 tomorrow at 14:00 (Beijing time)")
        out.print(f"log in (password [bold]{DEMO_PASSWORD}[/] for every account):")
        for username, name, role, _ in ACCOUNTS:
            out.print(f"  {username:10} {role:7} {name}")
        out.print(f"try: curl -s {info.url}/healthz ; the catalog is at {info.url}/api/exhibits "
                  "after logging in (POST /api/auth/login)")
        out.print("render a scene: .venv/bin/redhall render var/exhibits/founding-1.0.0.exhibit "
                  "--scene nanhu-red-boat --out var/nanhu.png")
        if args.once:
            await runner.cleanup()
            return
        out.print("press Ctrl-C to stop")
        await serve_forever(runner)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
    return 0


def register(commands: Any) -> None:
    p = commands.add_parser("serve", help="run the server")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--config", help="TOML settings file (REDHALL_* variables override it)")
    p.add_argument("--workers", type=int, default=1,
                   help="server processes sharing the port (default 1; several need a "
                        "database file or server, and Redis for live tours)")
    p.set_defaults(run=_serve)

    p = commands.add_parser("demo", help="build the samples and serve them with demo accounts")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--once", action="store_true", help="set everything up, then stop")
    p.set_defaults(run=_demo)
