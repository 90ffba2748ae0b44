"""livestudio_analytics."""
