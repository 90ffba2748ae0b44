"""livestudio_ingest."""
