"""livestudio_devinfra."""
