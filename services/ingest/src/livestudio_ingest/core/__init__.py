"""The ingest's functional core: what a poll decides, as pure functions of state and of Shopee's answers.

Nothing here awaits, reads a clock, draws a random number or talks to Kafka or Postgres: every function takes the
state it changes (frozen dataclasses), what Shopee answered and the time as arguments, and returns the new state,
the events to publish (`emit.Emit`, each saying how its acknowledgement changes the state) and, at the end of a
cycle, how soon to call Shopee again. The drivers (`poller.AccountPoller`) do the I/O and the timing.

* `account`: an account's health (state, failures, backoff) and its status events: any kind of polling.
* `session`: what is remembered about one Shopee live session between polls (and how it is persisted).
* `live`: one poll cycle of the live sessions of an account (session list, details, history re-reads).
* `backfill`: an account's history backfill (which `liveList/v2` window and page next, and its progress).
* `emit`: an event to publish and what its acknowledgement (or its drop) changes.

A new kind of polling (e.g. affiliate commissions) adds its own state and cycle module next to `live`, reusing
`account` and `emit`.
"""
