"""Identity (issue #18): organisations, users, invitations, sign-in, browser sessions, service keys, audit trail.

The gateway owns the PostgreSQL schema `identity` (migrations in `livestudio_gateway/migrations`, applied at
start-up) and is its only writer; studio data is still changed only by commands to the owning services.

| module | owns |
|---|---|
| `passwords.py` | argon2id hashing through argon2-cffi, a dummy hash for unknown emails |
| `credentials.py` | opaque one-time tokens and their hashes, service-key format, CSRF tokens, cookie names |
| `throttle.py` | sign-in delays after failures (a plain function) |
| `repository.py` | every SQL statement of the identity schema |
| `mail.py` | mails (invitations, password resets) sent through SMTP |
| `audit.py` | the audit trail: records, the publisher that records every command it forwards, CSV |
| `service.py` | `Identity` (what one gateway holds for identity) and `resolve`, the caller middleware's hook |
| `sessions.py` | sign-in, refresh rotation, sign-out, password resets |
| `people.py` | invitations, role changes, removals, service keys |
| `admin.py` | operators' CLI: an organisation's first owner (and `make up`'s demo people) |
| `models.py` | request and response shapes |
| `handlers.py`, `org_handlers.py`, `routes.py` | the routes: `/api/v1/auth/*` (public), `/api/v1/org/*`; the router |
"""
