"""The portal's pages under 200 logged-in users: requests a second and p50/p99 latency.

For each database (SQLite, PostgreSQL) a scratch database gets the credit-report
benchmark's population (:mod:`bench.web.population`); ``redhall serve`` runs on it as a
process of its own, pinned to core 0, and the load (:mod:`bench.web.load`) runs in another
process pinned to core 1. First each administrator page is asked for alone, one request
after another, by one administrator (how long one committee member waits); then
``--users`` members load their pages, and as many administrators theirs, each page on a
freshly started server. Beside the pages
stand their peers: a static file (the most this server and client can do) and
``/api/me`` (a logged-in request that reads one row) for the member home; the branches
report the dashboard is built from for the dashboard.
Writes bench/results/web.json (the part of each database measured).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.databases import DATABASES, on_each
from bench.reports.measure import YEAR
from bench.web import population, results
from bench.web.load import log_in
from bench.web.serve import LOAD_CORE, ROOT, pinned, redhall_serve

MEMBER_PATHS = ["/static/css/portal.css", "/api/me", "/me"]
ADMIN_PATHS = [f"/api/reports/branches?year={YEAR}", "/admin/dashboard",
               f"/api/dashboard?period={YEAR}"]
ALONE_TIMES = 5


async def alone(url: str, username: str, paths: list[str]) -> dict[str, dict[str, Any]]:
    """Each path asked for ``ALONE_TIMES`` times in a row by one user, with nothing else
    running: the status and each answer's time in ms (the first reads a cold cache)."""
    client = await log_in(url, username, population.PASSWORD)
    figures = {}
    try:
        for path in paths:
            times, status = [], 0
            for _ in range(ALONE_TIMES):
                started = time.perf_counter()
                async with client.get(path, allow_redirects=False) as answer:
                    await answer.read()
                    status = answer.status
                times.append(round((time.perf_counter() - started) * 1000, 1))
            figures[path] = {"status": status, "ms": times, "median_ms": statistics.median(times)}
    finally:
        await client.close()
    return figures


async def under_load(url: str, usernames: list[str], paths: list[str], seconds: float,
                     folder: Path) -> dict[str, Any]:
    """The figures of :mod:`bench.web.load`, run as a process of its own on the load core."""
    names = folder / f"users-{usernames[0]}.txt"
    names.write_text("\n".join(usernames) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "bench.web.load", "--url", url, "--usernames", str(names),
               "--password", population.PASSWORD, "--seconds", str(seconds)]
    for path in paths:
        command += ["--path", path]
    load = await asyncio.create_subprocess_exec(*pinned(LOAD_CORE, command), cwd=ROOT,
                                                stdout=asyncio.subprocess.PIPE)
    out, _ = await load.communicate()
    if load.returncode != 0:
        raise SystemExit(f"the load generator failed ({load.returncode})")
    figures: dict[str, Any] = json.loads(out)
    return figures


async def measure(name: str, database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"redhall-bench-web-{name}-"))
    shape = population.Shape(members=args.members, branches=args.branches, facts=args.facts,
                             awards=args.awards, users=args.users)
    result: dict[str, Any] = {"population": asdict(shape)}
    if args.filled:
        print(f"[{name}] {shape} stored there by an earlier run (--filled)", flush=True)
        accounts = await population.accounts(database_url, args.users)
        result["filled_earlier"] = True
    else:
        print(f"[{name}] storing {shape} …", flush=True)
        started = time.perf_counter()
        accounts = await population.store(database_url, shape)
        result["fill_seconds"] = round(time.perf_counter() - started, 1)
    if args.code:
        result["code"] = str(args.code)
    pages = {"member": args.member_path if "member" in args.pages else [],
             "admin": args.admin_path if "admin" in args.pages else []}
    if pages["admin"]:
        async with redhall_serve(database_url, folder / "data", args.code) as url:
            result["alone"] = await alone(url, accounts.admins[0], pages["admin"])
        print(f"[{name}] alone: {json.dumps(result['alone'])}", flush=True)
    result["users"] = args.users
    result["load"] = {}
    for who, usernames, paths in (("member", accounts.members, pages["member"]),
                                  ("admin", accounts.admins, pages["admin"])):
        for path in paths:
            # a fresh server for each page: a slow page's queue of requests, still being
            # answered after the cut-off, would otherwise slow the next page down
            async with redhall_serve(database_url, folder / "data", args.code) as url:
                figures = await under_load(url, usernames, [path], args.seconds, folder)
            result["load"][path] = {"as": who, **figures["paths"][path]}
            print(f"[{name}] {who:7} {path:32} {_line(figures['paths'][path])}", flush=True)
    return result


def _line(figures: dict[str, Any]) -> str:
    return (f"{figures['requests_per_s']:8.1f} req/s  p50 {figures['p50_ms']:8.1f} ms  "
            f"p99 {figures['p99_ms']:8.1f} ms  not 200: {figures['not_200']}  "
            f"errors: {figures['errors']}  unfinished: {figures['unfinished']}  "
            f"client cpu {figures['client_cpu']}  (over the {figures['measured_over']})")


async def main(args: argparse.Namespace) -> None:
    shown = {k: v for k, v in vars(args).items()
             if k not in ("databases", "member_path", "admin_path", "filled", "code", "label",
                           "pages")}
    shown["pages"] = " ".join(args.pages)
    command = "bench/web/run load " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in shown.items())
    if args.filled:  # databases kept from an earlier fill with the same numbers
        measured = {}
        for url in args.filled:
            name = "postgresql" if url.startswith("postgresql") else "sqlite"
            measured[name] = await measure(name, url, args)
    else:
        measured = await on_each(args.databases, "web",
                                 lambda name, url: measure(name, url, args))
    if args.label:
        measured = {f"{name}-{args.label}": figures for name, figures in measured.items()}
    if sorted(args.pages) != ["admin", "member"]:  # the other pages keep their last figures
        kept = results.read()
        for name, figures in measured.items():
            earlier = kept.get(name, {})
            figures["load"] = {**figures["load"], **{
                path: f for path, f in earlier.get("load", {}).items()
                if f.get("as") not in args.pages}}
            if "alone" in earlier and "alone" not in figures:
                figures["alone"] = earlier["alone"]
            if earlier.get("command"):
                figures["other_pages_command"] = earlier["command"]
    results.update({name: {"command": command, **figures} for name, figures in measured.items()})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    shape = population.Shape()
    parser.add_argument("--members", type=int, default=shape.members)
    parser.add_argument("--branches", type=int, default=shape.branches)
    parser.add_argument("--facts", type=int, default=shape.facts)
    parser.add_argument("--awards", type=int, default=shape.awards)
    parser.add_argument("--users", type=int, default=shape.users,
                        help="logged-in members, and as many administrators")
    parser.add_argument("--seconds", type=float, default=15.0, help="counted, per page")
    parser.add_argument("--member-path", action="append", help="instead of "
                        + " ".join(MEMBER_PATHS))
    parser.add_argument("--admin-path", action="append", help="instead of "
                        + " ".join(ADMIN_PATHS))
    parser.add_argument("--pages", nargs="+", choices=("member", "admin"),
                        default=["member", "admin"], help="measure only the member's pages "
                        "or only the administrator's (the others keep their last figures)")
    parser.add_argument("--databases", nargs="+", choices=DATABASES, default=list(DATABASES))
    parser.add_argument("--filled", nargs="+", metavar="URL", default=[],
                        help="measure these databases, filled by an earlier run with the same "
                        "numbers (bench.web.population.store), instead of filling new ones "
                        "(the full population takes 10-15 minutes on SQLite)")
    parser.add_argument("--label", help="write the figures as the part <database>-LABEL of "
                        "web.json (e.g. before) rather than <database>")
    parser.add_argument("--code", type=Path, help="serve this copy of the code instead (e.g. "
                        "`git archive <commit> | tar -x -C DIR`): before and after on one "
                        "database")
    parsed = parser.parse_args()
    parsed.member_path = parsed.member_path or MEMBER_PATHS
    parsed.admin_path = parsed.admin_path or ADMIN_PATHS
    asyncio.run(main(parsed))
