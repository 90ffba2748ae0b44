"""End-to-end and chaos runs of the whole stack (slow)."""
