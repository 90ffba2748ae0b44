"""livestudio_gateway: the HTTP API of Live Studio (reads, commands, live updates) with auth and studio scoping."""
