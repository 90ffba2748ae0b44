"""Commission tests against a real broker and PostgreSQL."""
