"""`redhall schema`: JSON Schema for scene scripts and exhibit definitions (editor support)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from protocol.exhibit import ExhibitDefinition
from protocol.scene import SceneScript

SCHEMAS: dict[str, type[BaseModel]] = {"scene.schema.json": SceneScript,
                                        "exhibit.schema.json": ExhibitDefinition}


def write_schemas(out: Path) -> list[Path]:
    """Write one JSON Schema (draft 2020-12) per document kind into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in SCHEMAS.items():
        schema = model.model_json_schema(by_alias=True)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://redhall.example/schema/{name}"
        target = out / name
        target.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")
        written.append(target)
    return written
