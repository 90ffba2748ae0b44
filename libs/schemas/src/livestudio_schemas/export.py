"""Writes the contract to disk: one JSON Schema per event type and an AsyncAPI 3 document of the topics.

`python -m livestudio_schemas.export [DIR]` (default: the committed `libs/schemas/contract/`).
The compatibility test compares the committed files with what the models produce now.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from livestudio_schemas.envelope import CloudEvent
from livestudio_schemas.registry import EVENTS, EventSpec
from livestudio_schemas.topics import Topic

CONTRACT_DIR = Path(__file__).resolve().parents[2] / "contract"


def envelope_model(spec: EventSpec) -> type[BaseModel]:
    return CloudEvent[spec.model]  # type: ignore[name-defined]


def json_schemas() -> dict[str, dict[str, Any]]:
    """Event type -> JSON Schema of the full CloudEvent carrying that payload."""
    out: dict[str, dict[str, Any]] = {}
    for spec in EVENTS:
        schema = envelope_model(spec).model_json_schema(mode="serialization")
        schema["title"] = spec.type
        schema["description"] = f"{spec.summary} (topic {spec.topic.value})"
        out[spec.type] = schema
    return out


def asyncapi_document() -> dict[str, Any]:
    from faststream.kafka import KafkaBroker
    from faststream.specification import AsyncAPI

    broker = KafkaBroker()
    for topic in Topic:
        specs = [s for s in EVENTS if s.topic is topic]
        for spec in specs:
            broker.publisher(
                topic.value,
                title=f"{topic.value}:{spec.type}",
                description=spec.summary,
                schema=envelope_model(spec),
            )
    doc = AsyncAPI(
        broker,
        title="Live Studio events",
        version="1.0.0",
        description="Public Kafka topics of Live Studio. Envelope: CloudEvents 1.0 structured JSON.",
        schema_version="3.0.0",
    ).to_specification()
    data: dict[str, Any] = json.loads(doc.to_json())
    return data


def write(directory: Path = CONTRACT_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for type_, schema in json_schemas().items():
        path = directory / f"{type_}.schema.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    path = directory / "asyncapi.json"
    path.write_text(json.dumps(asyncapi_document(), indent=2, sort_keys=True) + "\n")
    written.append(path)
    return written


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else CONTRACT_DIR
    for path in write(target):
        print(path)


if __name__ == "__main__":
    main()
