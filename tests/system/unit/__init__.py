"""Unit tests of the system-test helpers (no broker, no database)."""
