"""Live Studio's public event contract: envelope, topic names and versioned payload models (no behaviour)."""

from livestudio_schemas.envelope import CloudEvent, deterministic_event_id, event_type
from livestudio_schemas.topics import Topic

__all__ = ["CloudEvent", "Topic", "deterministic_event_id", "event_type"]
