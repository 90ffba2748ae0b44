"""CloudEvents 1.0 structured-mode JSON envelope, event type names and deterministic event ids.

Every message on every Live Studio topic is one `CloudEvent[Payload]`. `id` is deterministic for an
observation (same observation -> same id) so that consumers can deduplicate; `dataschema` names the
payload model and version.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from livestudio_schemas.types import AwareDatetime

P = TypeVar("P", bound=BaseModel)

SPEC_VERSION: Literal["1.0"] = "1.0"
SCHEMA_BASE = "https://schemas.livestudio.dev"
_ID_NAMESPACE = uuid.UUID("6f6a3c2e-3d0b-4d5e-9a43-5b2f1c1e7d10")


def event_type(name: str, version: int = 1) -> str:
    """`livestudio.<name>.v<version>`, e.g. livestudio.session.snapshot.v1."""
    return f"livestudio.{name}.v{version}"


def dataschema_for(type_: str) -> str:
    return f"{SCHEMA_BASE}/{type_}.json"


def deterministic_event_id(*parts: object) -> str:
    """A UUIDv5 over the parts: the same observation always gets the same id."""
    return str(uuid.uuid5(_ID_NAMESPACE, "|".join(str(p) for p in parts)))


def content_hash(payload: BaseModel, *, exclude: set[str] | None = None) -> str:
    """Stable hash of a payload's JSON (used for publish-on-change)."""
    raw = payload.model_dump_json(exclude=exclude)
    return hashlib.sha256(raw.encode()).hexdigest()


class CloudEvent(BaseModel, Generic[P]):
    """A CloudEvents 1.0 event in structured JSON mode."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = SPEC_VERSION
    id: str = Field(min_length=1)
    source: str = Field(min_length=1, description="URI-reference of the producing service, e.g. /livestudio/ingest")
    type: str = Field(min_length=1)
    time: AwareDatetime
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str
    data: P

    @classmethod
    def wrap(
        cls,
        data: P,
        *,
        type_: str,
        source: str,
        time: AwareDatetime,
        subject: str | None,
        id_: str,
    ) -> CloudEvent[P]:
        return cls(
            id=id_,
            source=source,
            type=type_,
            time=time,
            subject=subject,
            dataschema=dataschema_for(type_),
            data=data,
        )

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=False).encode()


class RawCloudEvent(CloudEvent[Any]):  # type: ignore[type-var]
    """The envelope with the payload left undecoded; consumers peek at `type` before choosing a model."""

    data: dict[str, Any]  # type: ignore[assignment]
