"""Sign-in, browser sessions and passwords.

Sign-in checks argon2id (an unknown email against a dummy hash: the same answer after the same work) behind
growing delays per account and per client address. A session is a family of refresh tokens: each refresh marks
its token used and issues the next; presenting a used one ends the whole session. The access token is minted by
`auth.mint_token` (claims `org`, `sid`; issuer and audience from settings). Password resets go by one-time link,
requested in the background so that the answer does not depend on the email.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from asyncpg import Record

from livestudio_gateway.auth import Role, mint_token
from livestudio_gateway.identity import credentials, throttle
from livestudio_gateway.identity.service import (
    WRONG_CREDENTIALS,
    Identity,
    InvalidLink,
    Tokens,
    effective_studios,
    normalise_email,
)
from livestudio_gateway.problems import Forbidden, RateLimited, Unauthorized


# --- sign-in and sessions -----------------------------------------------------------------------------
def _throttle_keys(identity: Identity, email: str, address: str | None) -> list[tuple[str, int]]:
    keys = [(f"account:{email}", identity.settings.signin_free_failures)]
    if address:
        keys.append((f"address:{address}", identity.settings.signin_address_free_failures))
    return keys


async def sign_in(identity: Identity, email: str, password: str, address: str | None) -> Tokens:
    email = normalise_email(email)
    keys = _throttle_keys(identity, email, address)
    now = datetime.now(UTC)
    waits = [
        (row["blocked_until"] - now).total_seconds()
        for row in await identity.repo.throttle_state([k for k, _ in keys])
        if row["blocked_until"] is not None and row["blocked_until"] > now
    ]
    if waits:
        raise RateLimited(
            "too many failed sign-ins; wait before trying again",
            headers={"Retry-After": str(max(1, int(max(waits) + 0.999)))},
        )
    user = await identity.repo.user_by_email(email)
    ok = await identity.passwords.verify(user["password_hash"] if user is not None else None, password)
    if user is None or not ok:
        for key, free in keys:
            failures = await identity.repo.record_failure(key, identity.settings.signin_max_delay_s)
            delay = throttle.delay_after(failures, free=free, max_delay_s=identity.settings.signin_max_delay_s)
            if delay:
                await identity.repo.block(key, delay)
        await identity.audit(
            org_id=user["org_id"] if user is not None else None,
            actor=email,
            role=None,
            action="signin.failed",
            address=address,
        )
        raise Unauthorized(WRONG_CREDENTIALS)
    await identity.repo.clear_failures(keys[0][0])
    if identity.passwords.needs_rehash(user["password_hash"]):  # hashed with other argon2 settings: bring it up
        await identity.repo.set_password(user["user_id"], await identity.passwords.hash(password))
    tokens = await _new_session(identity, user)
    await identity.audit(
        org_id=user["org_id"], actor=user["user_id"], role=user["role"], action="signin", address=address
    )
    return tokens


async def _new_session(identity: Identity, user: Record) -> Tokens:
    session_id = credentials.new_id("ses")
    refresh = credentials.new_secret()
    expires = datetime.now(UTC) + timedelta(seconds=identity.settings.session_ttl_s)
    await identity.repo.create_session(session_id, user["user_id"], expires, credentials.digest(refresh))
    org_studios = await identity.repo.org_studios(user["org_id"])
    return _tokens(identity, user, session_id, refresh, org_studios)


def _tokens(identity: Identity, user: Record, session_id: str, refresh: str, org_studios: list[str]) -> Tokens:
    role: Role = user["role"]
    s = identity.settings
    access = mint_token(
        identity.verifier.keys,
        sub=user["user_id"],
        role=role,
        studios=effective_studios(role, user["studios"], org_studios),
        host_id=user["host_id"] if role == "host" else None,
        ttl_s=s.access_ttl_s,
        org=user["org_id"],
        sid=session_id,
    )
    return Tokens(
        access_token=access,
        refresh_token=refresh,
        csrf_token=credentials.csrf_token(identity.csrf_keys[0], session_id),
        session_id=session_id,
        expires_in=s.access_ttl_s,
        user=user,
    )


async def _session_for_cookie(identity: Identity, refresh: str | None, csrf: str | None) -> tuple[str, str]:
    """(session id, user id) of a refresh cookie, after the CSRF check."""
    if not refresh:
        raise Unauthorized("no session cookie; sign in")
    row = await identity.repo.session_of_refresh(credentials.digest(refresh))
    if row is None:
        raise Unauthorized("the session cookie is unknown; sign in")
    if not credentials.csrf_ok(identity.csrf_keys, row["session_id"], csrf):
        raise Forbidden("this request needs the X-CSRF-Token header of the session", slug="csrf")
    return row["session_id"], row["user_id"]


async def refresh(identity: Identity, refresh: str | None, csrf: str | None, address: str | None) -> Tokens:
    """A new access token and the next refresh token; a refresh token used again after the grace period (see
    `rotate_refresh`) ends its session."""
    session_id, user_id = await _session_for_cookie(identity, refresh, csrf)
    assert refresh is not None
    new_refresh = credentials.new_secret()
    outcome, _ = await identity.repo.rotate_refresh(
        credentials.digest(refresh), credentials.digest(new_refresh), grace_s=identity.settings.refresh_reuse_grace_s
    )
    if outcome == "reused":
        await identity.repo.revoke_session(session_id, "refresh-token-reused")
        identity.forget()
        user = await identity.repo.user(user_id)
        await identity.audit(
            org_id=user["org_id"] if user is not None else None,
            actor=user_id,
            role=None,
            action="session.refresh_reused",
            target=session_id,
            address=address,
        )
        raise Unauthorized("this refresh token was already used; the session is ended, sign in again")
    user = await identity.repo.user(user_id)
    if outcome != "ok" or user is None:
        raise Unauthorized("the session has ended; sign in again")
    return _tokens(identity, user, session_id, new_refresh, await identity.repo.org_studios(user["org_id"]))


async def sign_out(identity: Identity, refresh: str | None, csrf: str | None, address: str | None) -> None:
    session_id, user_id = await _session_for_cookie(identity, refresh, csrf)
    await identity.repo.revoke_session(session_id, "signed-out")
    identity.forget()
    user = await identity.repo.user(user_id)
    await identity.audit(
        org_id=user["org_id"] if user is not None else None,
        actor=user_id,
        role=user["role"] if user is not None else None,
        action="signout",
        target=session_id,
        address=address,
    )


# --- passwords ----------------------------------------------------------------------------------------
def request_reset(identity: Identity, email: str, address: str | None) -> None:
    """Answered at once whatever the email; the lookup and the mail happen in the background."""
    identity.mailer.spawn(_send_reset(identity, normalise_email(email), address))


async def _send_reset(identity: Identity, email: str, address: str | None) -> None:
    user = await identity.repo.user_by_email(email)
    if user is None:
        return
    token = credentials.new_secret()
    expires = datetime.now(UTC) + timedelta(seconds=identity.settings.password_reset_ttl_s)
    await identity.repo.create_password_reset(credentials.digest(token), user["user_id"], expires)
    await identity.audit(
        org_id=user["org_id"],
        actor=user["user_id"],
        role=user["role"],
        action="password.reset_requested",
        address=address,
    )
    link = f"{identity.settings.public_url}/reset-password#token={token}"
    await identity.mailer.send(
        email,
        "Reset your Live Studio password",
        f"Someone asked to reset the password of {email} on Live Studio.\n\nSet a new password here "
        f"(valid once, for {identity.settings.password_reset_ttl_s // 60} minutes):\n{link}\n\n"
        f'Or POST /api/v1/auth/password-reset/confirm with {{"token": "{token}", "password": …}}.\n'
        "If it was not you, ignore this mail.\n",
    )


async def confirm_reset(identity: Identity, token: str, password: str, address: str | None) -> None:
    identity.check_password(password)
    hashed = await identity.passwords.hash(password)
    user_id = await identity.repo.take_password_reset(credentials.digest(token))
    if user_id is None:
        raise InvalidLink("the reset link is unknown, used or expired")
    await identity.repo.set_password(user_id, hashed)
    await identity.repo.revoke_user_sessions(user_id, "password-reset")
    identity.forget()
    user = await identity.repo.user(user_id)
    if user is not None:
        await identity.repo.clear_failures(f"account:{user['email']}")
        await identity.audit(
            org_id=user["org_id"], actor=user_id, role=user["role"], action="password.reset", address=address
        )
