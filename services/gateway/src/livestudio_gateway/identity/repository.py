"""All SQL of the identity schema (asyncpg, parameterised only). The pool's search_path is `identity`.

Reads of studio data (does a host record exist, which studios exist) stay in the gateway's read-only
`Repository`; this module writes only the gateway's own tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from asyncpg import Record

from livestudio_runtime.db import create_pool as create_schema_pool

SCHEMA = "identity"
INVITATION_COLUMNS = """invitation_id, email, role, studios, host_id, invited_by, created_at, expires_at,
  accepted_at, revoked_at"""
USER_COLUMNS = "user_id, org_id, email, name, password_hash, role, studios, host_id, created_at, updated_at"


async def create_pool(dsn: str, *, max_size: int) -> asyncpg.Pool:
    return await create_schema_pool(
        dsn, schema=SCHEMA, application_name="livestudio-gateway-identity", min_size=1, max_size=max_size
    )


class IdentityRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # --- organisations and their studios -----------------------------------------------------------------
    async def create_org(self, org_id: str, name: str) -> None:
        await self.pool.execute(
            "INSERT INTO organisations (org_id, name) VALUES ($1, $2) ON CONFLICT (org_id) DO NOTHING", org_id, name
        )

    async def org(self, org_id: str) -> Record | None:
        return await self.pool.fetchrow("SELECT org_id, name, created_at FROM organisations WHERE org_id = $1", org_id)

    async def org_studios(self, org_id: str) -> list[str]:
        rows = await self.pool.fetch("SELECT studio_id FROM org_studios WHERE org_id = $1 ORDER BY studio_id", org_id)
        return [r["studio_id"] for r in rows]

    async def studio_org(self, studio_id: str) -> str | None:
        org: str | None = await self.pool.fetchval("SELECT org_id FROM org_studios WHERE studio_id = $1", studio_id)
        return org

    async def register_studio(self, studio_id: str, org_id: str) -> bool:
        """Give an unowned studio to an organisation; False when another organisation owns it."""
        owner = await self.pool.fetchval(
            """INSERT INTO org_studios (studio_id, org_id) VALUES ($1, $2)
               ON CONFLICT (studio_id) DO UPDATE SET studio_id = EXCLUDED.studio_id
               RETURNING org_id""",
            studio_id,
            org_id,
        )
        return bool(owner == org_id)

    # --- users -------------------------------------------------------------------------------------------
    async def user_by_email(self, email: str) -> Record | None:
        return await self.pool.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE email = $1", email)

    async def user(self, user_id: str, org_id: str | None = None) -> Record | None:
        return await self.pool.fetchrow(
            f"SELECT {USER_COLUMNS} FROM users WHERE user_id = $1 AND ($2::text IS NULL OR org_id = $2)",
            user_id,
            org_id,
        )

    async def users(self, org_id: str) -> list[Record]:
        return await self.pool.fetch(f"SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 ORDER BY email", org_id)

    async def create_user(
        self,
        *,
        user_id: str,
        org_id: str,
        email: str,
        name: str,
        password_hash: str | None,
        role: str,
        studios: list[str],
        host_id: str | None,
    ) -> bool:
        """False when the email is taken."""
        status = await self.pool.execute(
            """INSERT INTO users (user_id, org_id, email, name, password_hash, role, studios, host_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (email) DO NOTHING""",
            user_id,
            org_id,
            email,
            name,
            password_hash,
            role,
            studios,
            host_id,
        )
        return bool(status == "INSERT 0 1")

    async def update_user_role(
        self, user_id: str, org_id: str, role: str, studios: list[str], host_id: str | None
    ) -> bool:
        status = await self.pool.execute(
            """UPDATE users SET role = $3, studios = $4, host_id = $5, updated_at = now()
               WHERE user_id = $1 AND org_id = $2""",
            user_id,
            org_id,
            role,
            studios,
            host_id,
        )
        return bool(status == "UPDATE 1")

    async def set_password(self, user_id: str, password_hash: str) -> None:
        await self.pool.execute(
            "UPDATE users SET password_hash = $2, updated_at = now() WHERE user_id = $1", user_id, password_hash
        )

    async def delete_user(self, user_id: str, org_id: str) -> bool:
        """Removes the user; their sessions and refresh tokens go with them (ON DELETE CASCADE)."""
        status = await self.pool.execute("DELETE FROM users WHERE user_id = $1 AND org_id = $2", user_id, org_id)
        return bool(status == "DELETE 1")

    # --- invitations ---------------------------------------------------------------------------------------
    async def create_invitation(
        self,
        *,
        invitation_id: str,
        token_hash: bytes,
        org_id: str,
        email: str,
        role: str,
        studios: list[str],
        host_id: str | None,
        invited_by: str,
        expires_at: datetime,
    ) -> Record:
        row = await self.pool.fetchrow(
            f"""INSERT INTO invitations
               (invitation_id, token_hash, org_id, email, role, studios, host_id, invited_by, expires_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               RETURNING {INVITATION_COLUMNS}""",
            invitation_id,
            token_hash,
            org_id,
            email,
            role,
            studios,
            host_id,
            invited_by,
            expires_at,
        )
        assert row is not None
        return row

    async def invitations(self, org_id: str) -> list[Record]:
        return await self.pool.fetch(
            f"""SELECT {INVITATION_COLUMNS}
               FROM invitations WHERE org_id = $1 ORDER BY created_at DESC LIMIT 500""",
            org_id,
        )

    async def revoke_invitation(self, invitation_id: str, org_id: str) -> bool:
        status = await self.pool.execute(
            """UPDATE invitations SET revoked_at = now()
               WHERE invitation_id = $1 AND org_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL""",
            invitation_id,
            org_id,
        )
        return bool(status == "UPDATE 1")

    async def take_invitation(self, token_hash: bytes) -> Record | None:
        """Marks the invitation used and returns it, only when it is unused, not revoked and not expired."""
        return await self.pool.fetchrow(
            """UPDATE invitations SET accepted_at = now()
               WHERE token_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
               RETURNING invitation_id, org_id, email, role, studios, host_id, invited_by""",
            token_hash,
        )

    async def untake_invitation(self, invitation_id: str) -> None:
        await self.pool.execute("UPDATE invitations SET accepted_at = NULL WHERE invitation_id = $1", invitation_id)

    # --- password resets -----------------------------------------------------------------------------------
    async def create_password_reset(self, token_hash: bytes, user_id: str, expires_at: datetime) -> None:
        await self.pool.execute(
            "INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
            token_hash,
            user_id,
            expires_at,
        )

    async def take_password_reset(self, token_hash: bytes) -> str | None:
        user_id: str | None = await self.pool.fetchval(
            """UPDATE password_resets SET used_at = now()
               WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id""",
            token_hash,
        )
        return user_id

    # --- browser sessions ------------------------------------------------------------------------------------
    async def create_session(self, session_id: str, user_id: str, expires_at: datetime, token_hash: bytes) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO sessions (session_id, user_id, expires_at) VALUES ($1, $2, $3)",
                session_id,
                user_id,
                expires_at,
            )
            await conn.execute(
                "INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)", token_hash, session_id
            )

    async def rotate_refresh(self, old_hash: bytes, new_hash: bytes, *, grace_s: float) -> tuple[str, Record | None]:
        """('ok', session) after rotating; ('reused', session) when the token was already used more than `grace_s`
        ago (the caller revokes the family); ('unknown', None) for a token never issued; ('ended', None) for a
        revoked or expired session. Within `grace_s` of its first use a token rotates again (two tabs refreshing
        with the same cookie at once, or an answer lost on the way): the first successor stays valid too."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                """SELECT r.session_id, r.used_at, s.user_id, s.revoked_at, s.expires_at <= now() AS expired,
                          r.used_at > now() - make_interval(secs => $2) AS within_grace
                   FROM refresh_tokens r JOIN sessions s USING (session_id)
                   WHERE r.token_hash = $1 FOR UPDATE OF r""",
                old_hash,
                grace_s,
            )
            if row is None:
                return "unknown", None
            if row["used_at"] is not None and not row["within_grace"]:
                return "reused", row
            if row["revoked_at"] is not None or row["expired"]:
                return "ended", None
            if row["used_at"] is None:
                await conn.execute("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1", old_hash)
            await conn.execute(
                "INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)", new_hash, row["session_id"]
            )
            return "ok", row

    async def session_of_refresh(self, token_hash: bytes) -> Record | None:
        return await self.pool.fetchrow(
            """SELECT s.session_id, s.user_id FROM refresh_tokens r JOIN sessions s USING (session_id)
               WHERE r.token_hash = $1""",
            token_hash,
        )

    async def revoke_session(self, session_id: str, reason: str) -> None:
        await self.pool.execute(
            "UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE session_id = $1 AND revoked_at IS NULL",
            session_id,
            reason,
        )

    async def revoke_user_sessions(self, user_id: str, reason: str) -> None:
        await self.pool.execute(
            "UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            user_id,
            reason,
        )

    async def live_session(self, session_id: str, user_id: str) -> Record | None:
        """The user behind a live session, with their organisation's studios; None when the session is over."""
        return await self.pool.fetchrow(
            """SELECT u.user_id, u.org_id, u.role, u.studios, u.host_id,
                      ARRAY(SELECT o.studio_id FROM org_studios o WHERE o.org_id = u.org_id) AS org_studios
               FROM sessions s JOIN users u USING (user_id)
               WHERE s.session_id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()""",
            session_id,
            user_id,
        )

    # --- service keys --------------------------------------------------------------------------------------
    async def create_service_key(
        self, *, key_id: str, org_id: str, name: str, studios: list[str], secret_hash: bytes, created_by: str
    ) -> Record:
        row = await self.pool.fetchrow(
            """INSERT INTO service_keys (key_id, org_id, name, studios, secret_hash, created_by)
               VALUES ($1, $2, $3, $4, $5, $6)
               RETURNING key_id, name, studios, created_by, created_at, last_used_at, revoked_at""",
            key_id,
            org_id,
            name,
            studios,
            secret_hash,
            created_by,
        )
        assert row is not None
        return row

    async def service_keys(self, org_id: str) -> list[Record]:
        return await self.pool.fetch(
            """SELECT key_id, name, studios, created_by, created_at, last_used_at, revoked_at
               FROM service_keys WHERE org_id = $1 ORDER BY created_at DESC""",
            org_id,
        )

    async def revoke_service_key(self, key_id: str, org_id: str) -> bool:
        status = await self.pool.execute(
            "UPDATE service_keys SET revoked_at = now() WHERE key_id = $1 AND org_id = $2 AND revoked_at IS NULL",
            key_id,
            org_id,
        )
        return bool(status == "UPDATE 1")

    async def service_key(self, key_id: str) -> Record | None:
        return await self.pool.fetchrow(
            """SELECT k.key_id, k.org_id, k.studios, k.secret_hash, k.revoked_at,
                      ARRAY(SELECT o.studio_id FROM org_studios o WHERE o.org_id = k.org_id) AS org_studios
               FROM service_keys k WHERE k.key_id = $1""",
            key_id,
        )

    async def touch_service_key(self, key_id: str) -> None:
        await self.pool.execute("UPDATE service_keys SET last_used_at = now() WHERE key_id = $1", key_id)

    # --- sign-in throttle --------------------------------------------------------------------------------------
    async def throttle_state(self, keys: list[str]) -> list[Record]:
        return await self.pool.fetch(
            "SELECT key, failures, blocked_until, last_failure_at FROM signin_throttle WHERE key = ANY($1::text[])",
            keys,
        )

    async def record_failure(self, key: str, forget_after_s: int) -> int:
        """Counts a failure (forgetting failures older than `forget_after_s`); returns the consecutive count."""
        failures: int = await self.pool.fetchval(
            """INSERT INTO signin_throttle AS t (key, failures, last_failure_at) VALUES ($1, 1, now())
               ON CONFLICT (key) DO UPDATE SET
                 failures = CASE WHEN t.last_failure_at < now() - make_interval(secs => $2) THEN 1
                                 ELSE t.failures + 1 END,
                 last_failure_at = now()
               RETURNING failures""",
            key,
            float(forget_after_s),
        )
        return failures

    async def block(self, key: str, seconds: int) -> None:
        await self.pool.execute(
            "UPDATE signin_throttle SET blocked_until = now() + make_interval(secs => $2) WHERE key = $1",
            key,
            float(seconds),
        )

    async def clear_failures(self, key: str) -> None:
        await self.pool.execute("DELETE FROM signin_throttle WHERE key = $1", key)

    # --- audit trail ---------------------------------------------------------------------------------------
    async def audit(
        self,
        *,
        org_id: str | None,
        actor: str,
        actor_role: str | None,
        action: str,
        target: str | None,
        studio_id: str | None,
        detail: dict[str, Any],
        address: str | None,
    ) -> None:
        await self.pool.execute(
            """INSERT INTO audit_log (org_id, actor, actor_role, action, target, studio_id, detail, address)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
            org_id,
            actor,
            actor_role,
            action,
            target,
            studio_id,
            detail,  # the pool's jsonb codec encodes it
            address,
        )

    async def audit_entries(
        self,
        org_id: str,
        *,
        actor: str | None,
        action: str | None,
        studio_id: str | None,
        since: datetime | None,
        until: datetime | None,
        before_id: int | None,
        limit: int,
    ) -> list[Record]:
        return await self.pool.fetch(
            """SELECT audit_id, at, actor, actor_role, action, target, studio_id, detail::text AS detail, address
               FROM audit_log
               WHERE org_id = $1
                 AND ($2::text IS NULL OR actor = $2)
                 AND ($3::text IS NULL OR action = $3 OR action LIKE $3 || '.%')
                 AND ($4::text IS NULL OR studio_id = $4)
                 AND ($5::timestamptz IS NULL OR at >= $5)
                 AND ($6::timestamptz IS NULL OR at < $6)
                 AND ($7::bigint IS NULL OR audit_id < $7)
               ORDER BY audit_id DESC
               LIMIT $8""",
            org_id,
            actor,
            action,
            studio_id,
            since,
            until,
            before_id,
            limit,
        )
