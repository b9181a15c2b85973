"""Content pipeline commands: validate, build, keygen, inspect, verify, schema, demo."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from tools.build import BuildResult, build_exhibit
from tools.cache import BuildCache
from tools.errors import AssetError, ValidationFailed
from tools.inspect import describe, inspect_package, verify_package
from tools.keys import key_fingerprint, keygen, load_private, load_public
from tools.props import BuildOptions
from tools.schema import write_schemas
from tools.validate import expand, validate_paths

DEFAULT_KEY = Path("var/keys/publisher.key")
DEFAULT_CACHE = Path("var/cache/build")


def _validate(args: argparse.Namespace, out: Console, err: Console) -> int:
    problems = validate_paths([Path(p) for p in args.paths])
    if args.json:
        out.print_json(json.dumps({"ok": not problems,
                                   "problems": [p.as_dict() for p in problems]}))
    elif problems:
        for problem in problems:
            # No emoji codes: `file:100:1` must not print as `file💯1`.
            err.print(escape(str(problem)), emoji=False)
        err.print(f"[red]{len(problems)} problem(s)[/]")
    else:
        out.print(f"[green]ok[/]: {len(expand([Path(p) for p in args.paths]))} file(s) valid")
    return 1 if problems else 0


def _key(path: Path | None, err: Console) -> Any:
    if path is not None:
        return load_private(path)
    if not DEFAULT_KEY.exists():
        keygen(DEFAULT_KEY)
        err.print(f"note: made a local publisher key at {DEFAULT_KEY} (use --key for yours)")
    return load_private(DEFAULT_KEY)


def _table(results: list[BuildResult]) -> Table:
    table = Table(title="exhibits")
    for column in ("package", "status", "size", "entries", "props (cached)", "triangles",
                   "narration", "glyphs", "seconds"):
        table.add_column(column, justify="left" if column in ("package", "status") else "right")
    for r in results:
        table.add_row(str(r.path), r.status, f"{r.size / 1e6:.2f} MB", str(r.entries or "-"),
                      f"{r.props} ({r.props_cached})" if r.props else "-",
                      f"{r.triangles:,}" if r.triangles else "-",
                      f"{r.audio_seconds:.0f} s" if r.audio_seconds else "-",
                      str(r.glyphs or "-"), f"{r.seconds:.2f}")
    return table


def run_build(exhibits: list[Path], out_dir: Path, key_path: Path | None, options: BuildOptions,
              cache_dir: Path | None, out: Console, err: Console,
              as_json: bool, show_repairs: bool = True) -> list[BuildResult]:
    key = _key(key_path, err)
    cache = BuildCache(cache_dir)
    results = []
    problems = []
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True, disable=as_json or not err.is_terminal) as bar:
        task = bar.add_task("building", total=None)
        for path in expand(exhibits):
            try:
                results.append(build_exhibit(path, out_dir, key, options, cache,
                                             lambda text: bar.update(task, description=text)))
            except ValidationFailed as exc:
                problems.extend(exc.problems)
            except OSError as exc:  # a file that went away, a folder where a file goes
                raise AssetError(str(exc.filename or path),
                                 f"cannot be read or written ({exc.strerror or exc})",
                                 "check that it exists, is a file, and that you may read "
                                 "and write there") from exc
    if problems:
        raise ValidationFailed(problems)
    if as_json:
        out.print_json(json.dumps({"ok": True, "packages": [r.as_dict() for r in results]}))
    else:
        out.print(_table(results))
        for r in results:
            if show_repairs:
                for line in r.repairs:
                    out.print(f"  repaired {escape(line)}")
            elif r.repairs:
                out.print(f"  {r.exhibit}: {len(r.repairs)} mesh repairs (see `redhall build`)")
            for line in r.warnings:
                out.print(f"  warning: {escape(line)}")
    return results


def _build(args: argparse.Namespace, out: Console, err: Console) -> int:
    options = BuildOptions(max_texture=args.max_texture, max_triangles=args.max_triangles,
                           speech=not args.no_speech, thumbnails=not args.no_thumbnails)
    run_build([Path(p) for p in args.exhibits], Path(args.out), args.key, options,
              None if args.no_cache else Path(args.cache), out, err, args.json)
    return 0


def _keygen(args: argparse.Namespace, out: Console, err: Console) -> int:
    pub = keygen(Path(args.out))
    out.print(f"private key: {args.out} (keep it secret)\npublic key:  {pub} (give it to "
              "servers and viewers that should trust your packages)\n"
              f"fingerprint: {key_fingerprint(load_public(pub))}\n"
              f"a server accepts your uploads once {pub.name} is in its REDHALL_TRUSTED_KEYS",
              emoji=False)
    return 0


def _inspect(args: argparse.Namespace, out: Console, err: Console) -> int:
    info = inspect_package(Path(args.package), Path(args.trust) if args.trust else None)
    if args.json:
        out.print_json(json.dumps(info, ensure_ascii=False))
        return 0
    out.print(f"[bold]{escape(info['title']['zh-CN'])}[/]  {info['id']} {info['version']}  "
              f"({info['size'] / 1e6:.2f} MB, {info['entries']} entries, format "
              f"{info['format']})")
    out.print(f"publisher: {escape(info['publisher'])}; signature "
              f"{'verified' if info['signature_checked'] else 'not checked (use --trust)'}")
    table = Table()
    for column in ("scene", "props", "triangles", "hotspots", "stops", "quiz", "narration",
                   "narrator", "credit"):
        table.add_column(column)
    for s in info["scenes"]:
        audio = s.get("audio", [])
        narrator = s.get("narrator")
        table.add_row(f"{s['id']} {s['title']['zh-CN']}", str(s["props"]),
                      f"{s['triangles']:,}", str(s["hotspots"]), str(s["route_stops"]),
                      str(s["quiz_items"]),
                      f"{len(audio)} ({sum(1 for a in audio if a.get('lipsync'))} lip-synced)",
                      _narrator_cell(narrator), f"{s['credit']['hours']} 学时")
    out.print(table)
    return 0


def _narrator_cell(narrator: dict[str, Any] | None) -> str:
    """Where the scene's narrator stands and how many hotspots and stops it speaks."""
    if narrator is None:
        return "-"
    x, y, _ = narrator["position"]
    return (f"at ({x:g}, {y:g}): {len(narrator['hotspots'])} hotspots, "
            f"{len(narrator['stops'])} stops")


def _verify(args: argparse.Namespace, out: Console, err: Console) -> int:
    package = verify_package(Path(args.package), [Path(p) for p in args.trust])
    if args.json:
        out.print_json(json.dumps({"ok": True, **describe(package)}, ensure_ascii=False))
    else:
        out.print(f"[green]verified[/]: {args.package} — signature matches a trusted key and "
                  f"all {len(package.manifest.entries)} entries match their hashes")
    return 0


def _schema(args: argparse.Namespace, out: Console, err: Console) -> int:
    for path in write_schemas(Path(args.out)):
        out.print(f"wrote {path}")
    return 0


def register(commands: Any) -> None:
    """Add the content commands to the `redhall` parser."""
    p = commands.add_parser("validate", help="check scene scripts and exhibit definitions")
    p.add_argument("paths", nargs="+", help="YAML files or folders")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=_validate)

    p = commands.add_parser("build", help="build signed .exhibit packages")
    p.add_argument("exhibits", nargs="*", default=["exhibits"],
                   help="exhibit definitions or folders (default: exhibits/)")
    p.add_argument("--out", required=True, help="folder for the packages")
    p.add_argument("--key", type=Path, help=f"publisher private key (default {DEFAULT_KEY})")
    p.add_argument("--cache", default=str(DEFAULT_CACHE), help="build cache folder")
    p.add_argument("--no-cache", action="store_true", help="process every asset again")
    p.add_argument("--max-texture", type=int, default=2048, help="largest texture side (px)")
    p.add_argument("--max-triangles", type=int, default=500_000,
                   help="refuse models with more triangles than this")
    p.add_argument("--no-speech", action="store_true",
                   help="do not synthesize narration for hotspots without audio")
    p.add_argument("--no-thumbnails", action="store_true",
                   help="do not render scene thumbnails (they need the engine)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=_build)

    p = commands.add_parser("keygen", help="make an Ed25519 publisher key")
    p.add_argument("--out", required=True, help="private key file; the .pub goes beside it")
    p.set_defaults(run=_keygen)

    p = commands.add_parser("inspect", help="show what a package holds")
    p.add_argument("package")
    p.add_argument("--trust", help="also check the signature against this public key")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_inspect)

    p = commands.add_parser("verify", help="check a package's signature and every hash")
    p.add_argument("package")
    p.add_argument("--trust", action="append", required=True, help="trusted public key file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_verify)

    p = commands.add_parser("schema", help="write JSON Schema for editors")
    p.add_argument("--out", default="schema", help="folder (default schema/)")
    p.set_defaults(run=_schema)

