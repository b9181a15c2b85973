"""Credit commands: `redhall credits verify`, `redhall certificate verify`, and
`redhall lrs-client` to issue LRS credentials without the web API."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from rich.console import Console


def _settings(args: argparse.Namespace) -> Any:
    from server.settings import Settings

    return Settings.load(Path(args.config) if args.config else None)


async def _with_database(settings: Any, work: Any) -> Any:
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from server.db.migrate import upgrade

    engine = create_async_engine(settings.database_url)
    try:
        await upgrade(engine)
        return await work(async_sessionmaker(engine, expire_on_commit=False))
    finally:
        await engine.dispose()


def _refuse(err: Console, title: str, problems: list[str]) -> int:
    err.print(f"[red]{title}:[/]")
    for problem in problems:
        err.print(f"  - {problem}")
    return 1


def _verify_ledger(args: argparse.Namespace, out: Console, err: Console) -> int:
    from server.credits.ledger import Head, entries, problems
    from server.credits.signing import Signer

    settings = _settings(args)
    chain = asyncio.run(_with_database(settings, entries))
    head_file = settings.data_dir / "ledger-head.json"
    head = None
    if head_file.exists():
        try:
            head = Head(head_file, Signer.load_or_create(settings.data_dir)).read()
        except ValueError as exc:
            err.print(f"[red]error:[/] {exc}")
            return 1
    found = problems(chain, head)
    if found:
        return _refuse(err, f"the credit ledger has been tampered with ({len(chain)} entries)",
                       found)
    tail = chain[-1]["hash"][:16] if chain else "-"
    out.print(f"ledger intact: {len(chain)} entries, head {tail}"
              + ("" if head else " (no signed head yet)"))
    return 0


def _verify_certificate(args: argparse.Namespace, out: Console, err: Console) -> int:
    from server.credits.certificate import check, load

    path = Path(args.file)
    try:  # the certificate's JSON, or its PDF with the JSON attached
        document = load(path.read_bytes())
    except (OSError, ValueError) as exc:
        err.print(f"[red]error:[/] cannot read {path}: {exc}")
        return 2
    trusted = Path(args.key).read_text(encoding="utf-8") if args.key else None
    found = check(document, trusted)
    if found:
        return _refuse(err, f"{path} is not a valid certificate", found)
    body = document["certificate"]
    from server.credits.signing import fingerprint

    out.print(f"valid: {body['member']['name']} earned {body['hours']} 学时 in {body['year']} "
              f"(target {body['target']}, {'met' if body['met'] else 'not met'}), "
              f"{len(body['awards'])} awards; signed by key {fingerprint(document['public_key'])}"
              + ("" if trusted else " (pass --key to check whose key that is)"))
    return 0


def _lrs_client(args: argparse.Namespace, out: Console, err: Console) -> int:
    import base64

    from server.lrs.clients import create_client

    settings = _settings(args)
    try:
        key, secret = asyncio.run(_with_database(
            settings, lambda sessions: create_client(sessions, args.name, tuple(args.scopes))))
    except ValueError as exc:
        err.print(f"[red]error:[/] {exc}")
        return 2
    basic = base64.b64encode(f"{key}:{secret}".encode()).decode()
    out.print(f"key {key}\nsecret {secret}\nAuthorization: Basic {basic}")
    return 0


def register(commands: Any) -> None:
    p = commands.add_parser("credits", help="credit ledger tools")
    sub = p.add_subparsers(dest="credits_command", required=True, metavar="ACTION")
    verify = sub.add_parser("verify", help="check the hash chain of the credit ledger")
    verify.add_argument("--config", help="TOML settings file (REDHALL_* variables override it)")
    verify.set_defaults(run=_verify_ledger)

    p = commands.add_parser("certificate", help="credit certificate tools")
    sub = p.add_subparsers(dest="certificate_command", required=True, metavar="ACTION")
    check = sub.add_parser("verify", help="check a yearly certificate offline (JSON or PDF)")
    check.add_argument("file")
    check.add_argument("--key", help="the issuing server's public key (base64 text file)")
    check.set_defaults(run=_verify_certificate)

    p = commands.add_parser("lrs-client", help="issue Basic credentials for an xAPI client")
    p.add_argument("name")
    p.add_argument("--scopes", nargs="+", default=["write", "read"],
                   help="write, read (everything) or read_mine")
    p.add_argument("--config", help="TOML settings file (REDHALL_* variables override it)")
    p.set_defaults(run=_lrs_client)
