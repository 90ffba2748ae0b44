"""Integration tests of the ingest service (real broker and PostgreSQL; the simulator as Shopee)."""
