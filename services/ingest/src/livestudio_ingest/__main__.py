"""`python -m livestudio_ingest` runs the service (same as the `livestudio-ingest` console script)."""

from livestudio_ingest.main import run

run()
