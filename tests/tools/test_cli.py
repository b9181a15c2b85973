"""The `redhall` command as an editor uses it: keygen, build, inspect, verify, schema."""

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema

from tests.conftest import run_cli
from tools.yamlpos import load_located


def test_keygen_build_inspect_verify(content: Callable[..., Path], tmp_path: Path) -> None:
    exhibit = content()
    key = tmp_path / "keys/me.key"
    assert run_cli("keygen", "--out", str(key))[0] == 0
    assert (key.stat().st_mode & 0o777) == 0o600
    code, out, _ = run_cli("keygen", "--out", str(key))
    assert code == 1
    dist = tmp_path / "dist"
    code, out, err = run_cli("build", str(exhibit), "--out", str(dist), "--key", str(key),
                          "--cache", str(tmp_path / "cache"), "--no-speech", "--no-thumbnails",
                          "--json")
    assert code == 0, err
    (package,) = json.loads(out)["packages"]
    assert package["status"] == "built" and package["props"] == 2
    code, out, _ = run_cli("inspect", package["path"], "--json")
    info = json.loads(out)
    assert info["id"] == "tiny-exhibit" and info["scenes"][0]["hotspots"] == 1
    assert info["signature_checked"] is False
    code, out, _ = run_cli("verify", package["path"], "--trust", f"{key}.pub")
    assert code == 0 and "verified" in out
    stranger = tmp_path / "stranger.key"
    run_cli("keygen", "--out", str(stranger))
    code, _, err = run_cli("verify", package["path"], "--trust", f"{stranger}.pub")
    assert code == 1 and "does not match any trusted publisher key" in err


def test_a_wrong_key_file_is_named(content: Callable[..., Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    code, _, err = run_cli("build", str(content()), "--out", str(tmp_path / "d"), "--key", str(bad))
    assert code == 1 and "bad.key: not a PEM private key" in err
    code, _, err = run_cli("build", str(content()), "--out", str(tmp_path / "d"), "--key",
                        str(tmp_path / "nope.key"))
    assert code == 1 and "redhall keygen --out" in err


def test_schema_accepts_the_samples(repo: Path, tmp_path: Path) -> None:
    assert run_cli("schema", "--out", str(tmp_path))[0] == 0
    scene_schema = json.loads((tmp_path / "scene.schema.json").read_text())
    exhibit_schema = json.loads((tmp_path / "exhibit.schema.json").read_text())
    for path in (repo / "scenes").glob("*.yaml"):
        jsonschema.validate(load_located(path.read_text()).data, scene_schema)
    for path in (repo / "exhibits").glob("*.yaml"):
        jsonschema.validate(load_located(path.read_text()).data, exhibit_schema)
    bad = load_located((repo / "scenes/luding-bridge.yaml").read_text()).data
    bad["props"][0]["colour"] = "red"
    try:
        jsonschema.validate(bad, scene_schema)
    except jsonschema.ValidationError as exc:
        assert "colour" in exc.message
    else:
        raise AssertionError("the schema let an unknown key through")


def test_a_package_that_cannot_be_written_is_said_not_raised(content: Callable[..., Path],
                                                             tmp_path: Path) -> None:
    exhibit = content()
    key = tmp_path / "me.key"
    run_cli("keygen", "--out", str(key))
    dist = tmp_path / "dist"
    (dist / "tiny-exhibit-1.0.0.exhibit").mkdir(parents=True)  # a folder where it should go
    code, _, err = run_cli("build", str(exhibit), "--out", str(dist), "--key", str(key),
                           "--no-cache", "--no-speech", "--no-thumbnails")
    assert code == 1 and "tiny-exhibit-1.0.0.exhibit" in err and "hint:" in err
    assert "Traceback" not in err
