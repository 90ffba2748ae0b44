"""Unit tests of the ingest service (no broker, no database)."""
