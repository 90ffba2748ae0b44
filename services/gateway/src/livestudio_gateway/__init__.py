"""livestudio_gateway."""
