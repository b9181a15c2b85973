"""Lighthouse's phone scores (performance, accessibility) of the portal's pages.

A scratch SQLite database gets a population (:mod:`bench.web.population`, smaller by
default than the load run's: Lighthouse judges the page, not the database);
``redhall serve`` runs on it, pinned to core 0. Each page is opened logged in (the session
cookie goes to Lighthouse as an extra header) by npm's ``lighthouse`` driving Debian's
Chromium with Lighthouse's mobile profile (a mid-range phone on slow 4G, simulated).
The log-in page, which needs no session, stands beside them as the peer.

For every page the scores, the timing metrics, and each weighted audit that did not pass
(what keeps a score below 100) are recorded in bench/results/web.json under
``lighthouse``; a score below ``TARGET`` is named on the console.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bench.databases import scratch_sqlite
from bench.web import population, results
from bench.web.serve import ROOT, redhall_serve

CHROMIUM = "/usr/bin/chromium"
LIGHTHOUSE = ROOT / "node_modules/.bin/lighthouse"
TARGET = 95
CATEGORIES = ("performance", "accessibility")
METRICS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
           "cumulative-layout-shift", "speed-index", "server-response-time")
# who opens each page: None for the page that needs no session
PAGES: list[tuple[str | None, str]] = [(None, "/login"), ("member", "/me"),
                                       ("admin", "/admin/dashboard")]


async def session_cookie(url: str, username: str) -> str:
    """A ``Cookie`` header value logging ``username`` in."""
    credentials = {"username": username, "password": population.PASSWORD}
    async with (aiohttp.ClientSession(url) as c,
                c.post("/api/auth/login", json=credentials) as r):
        if r.status != 200:
            raise SystemExit(f"{username} could not log in: {r.status} {await r.text()}")
        return "; ".join(f"{name}={morsel.value}" for name, morsel in r.cookies.items())


def failing_audits(report: dict[str, Any], category: str) -> list[dict[str, Any]]:
    """The category's weighted audits scoring below 1, heaviest first: why it lost points."""
    audits = report["audits"]
    failing = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = audits[ref["id"]]
        if ref["weight"] > 0 and audit["score"] is not None and audit["score"] < 1:
            failing.append({"id": ref["id"], "weight": ref["weight"], "score": audit["score"],
                            "title": audit["title"],
                            "value": audit.get("displayValue", "")})
    return sorted(failing, key=lambda audit: -audit["weight"] * (1 - audit["score"]))


async def score(page_url: str, cookie: str | None, out: Path) -> dict[str, Any]:
    """Lighthouse's mobile run of ``page_url``: scores, metrics and failing audits."""
    command = [str(LIGHTHOUSE), page_url, "--quiet", "--form-factor=mobile",
               '--chrome-flags=--headless=new --no-sandbox',
               f"--only-categories={','.join(CATEGORIES)}", "--output=json",
               f"--output-path={out}"]
    if cookie is not None:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    run = await asyncio.create_subprocess_exec(*command, env={**os.environ,
                                                              "CHROME_PATH": CHROMIUM})
    if await run.wait() != 0:  # e.g. the page answered 404: no scores to give
        return {"error": f"lighthouse exited with {run.returncode} (its message is above)"}
    report = json.loads(out.read_text(encoding="utf-8"))
    final = report.get("finalDisplayedUrl") or report.get("finalUrl")
    return {
        "landed_on": urlsplit(final).path if final else None,
        "scores": {name: round(100 * (report["categories"][name]["score"] or 0))
                   for name in CATEGORIES},
        "metrics": {name: report["audits"][name].get("displayValue", "") for name in METRICS},
        "not_passed": {name: failing_audits(report, name) for name in CATEGORIES},
        "runtime_error": report.get("runtimeError", {}).get("message"),
    }


async def main(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="redhall-bench-lighthouse-"))
    database_url = scratch_sqlite("redhall-lighthouse")
    shape = population.Shape(members=args.members, branches=args.branches, facts=args.facts,
                             awards=args.awards, users=1)
    print(f"storing {shape} …", flush=True)
    accounts = await population.store(database_url, shape)
    who = {"member": accounts.members[0], "admin": accounts.admins[0]}
    pages: dict[str, Any] = {}
    async with redhall_serve(database_url, folder / "data") as url:
        for role, path in PAGES:
            cookie = await session_cookie(url, who[role]) if role else None
            figures = await score(url + path, cookie, folder / f"{role}.json")
            pages[path] = {"as": role or "nobody", **figures}
            if "error" in figures:
                print(f"{path:20} not scored: {figures['error']}", flush=True)
                continue
            low = [f"{name} {value}" for name, value in figures["scores"].items()
                   if value < TARGET]
            print(f"{path:20} {figures['scores']}  landed on {figures['landed_on']}"
                  + (f"  BELOW {TARGET}: {', '.join(low)}" if low else ""), flush=True)
            for name, audits in figures["not_passed"].items():
                for audit in audits[:6]:
                    print(f"    {name}: {audit['id']} (weight {audit['weight']}, score "
                          f"{audit['score']}) {audit['value']}", flush=True)
    results.update({"lighthouse": {"population": {**vars(args)}, "form_factor": "mobile",
                                   "target": TARGET, "pages": pages}})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--branches", type=int, default=20)
    parser.add_argument("--facts", type=int, default=100_000)
    parser.add_argument("--awards", type=int, default=10_000)
    asyncio.run(main(parser.parse_args()))
