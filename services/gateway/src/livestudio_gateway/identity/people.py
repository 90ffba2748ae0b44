"""The people and keys of an organisation, managed by its owners: invitations by one-time link (accepted with a
password), role changes and removals (taking effect on the person's next request), and read-only service keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from asyncpg import Record

from livestudio_gateway.auth import Principal, Role
from livestudio_gateway.identity import credentials
from livestudio_gateway.identity.service import Identity, InvalidLink, InviteRole, normalise_email
from livestudio_gateway.problems import BadRequest, Conflict, Forbidden, NotFound


# --- invitations ---------------------------------------------------------------------------------------
async def invite(
    identity: Identity,
    owner: Principal,
    *,
    email: str,
    role: InviteRole,
    studios: list[str],
    host_id: str | None,
    host_studio: str | None,
    address: str | None,
) -> tuple[Record, str, str]:
    """(invitation, token, link). `host_studio` is the studio of the host record (looked up by the caller)."""
    assert owner.org is not None
    if role == "host":
        if host_id is None or host_studio is None:
            raise BadRequest("a host invitation names a host record of your studios (host_id)")
        studios = [host_studio]
    else:
        host_id = None
        if not studios:
            raise BadRequest("a manager invitation names at least one studio")
    outside = sorted(set(studios) - owner.studios)
    if outside:
        raise Forbidden(f"studio(s) {', '.join(outside)} are outside your organisation")
    token = credentials.new_secret()
    invitation_id = credentials.new_id("inv")
    email = normalise_email(email)
    row = await identity.repo.create_invitation(
        invitation_id=invitation_id,
        token_hash=credentials.digest(token),
        org_id=owner.org,
        email=email,
        role=role,
        studios=sorted(set(studios)),
        host_id=host_id,
        invited_by=owner.sub,
        expires_at=datetime.now(UTC) + timedelta(seconds=identity.settings.invitation_ttl_s),
    )
    await identity.audit(
        org_id=owner.org,
        actor=owner.sub,
        role=owner.role,
        action="invitation.created",
        target=invitation_id,
        detail={"email": email, "role": role, "studios": sorted(set(studios)), "host_id": host_id},
        address=address,
    )
    link = f"{identity.settings.public_url}/accept-invitation#token={token}"
    identity.mailer.spawn(
        identity.mailer.send(
            email,
            "You are invited to Live Studio",
            f"You are invited to Live Studio as {role}.\n\nAccept here (valid once, for "
            f"{identity.settings.invitation_ttl_s // 3600} hours):\n{link}\n\n"
            f'Or POST /api/v1/auth/invitations/accept with {{"token": "{token}", "password": …}}.\n',
        )
    )
    return row, token, link


async def accept(identity: Identity, token: str, password: str, name: str, address: str | None) -> Record:
    identity.check_password(password)
    hashed = await identity.passwords.hash(password)
    invitation = await identity.repo.take_invitation(credentials.digest(token))
    if invitation is None:
        raise InvalidLink("the invitation is unknown, used, revoked or expired")
    user_id = credentials.new_id("usr")
    created = await identity.repo.create_user(
        user_id=user_id,
        org_id=invitation["org_id"],
        email=invitation["email"],
        name=name,
        password_hash=hashed,
        role=invitation["role"],
        studios=list(invitation["studios"]),
        host_id=invitation["host_id"],
    )
    if not created:
        await identity.repo.untake_invitation(invitation["invitation_id"])
        raise Conflict("this email already has an account; sign in or reset the password")
    await identity.audit(
        org_id=invitation["org_id"],
        actor=user_id,
        role=invitation["role"],
        action="invitation.accepted",
        target=invitation["invitation_id"],
        detail={"invited_by": invitation["invited_by"]},
        address=address,
    )
    user = await identity.repo.user(user_id)
    assert user is not None
    return user


# --- users of an organisation --------------------------------------------------------------------------
async def change_role(
    identity: Identity,
    owner: Principal,
    user_id: str,
    *,
    role: Role,
    studios: list[str],
    host_id: str | None,
    host_studio: str | None,
    address: str | None,
) -> Record:
    assert owner.org is not None
    if user_id == owner.sub:
        raise Forbidden("owners cannot change their own role")
    if role == "service":
        raise BadRequest("service is the role of keys, not of people")
    if role == "host":
        if host_id is None or host_studio is None:
            raise BadRequest("a host names a host record of your studios (host_id)")
        studios = [host_studio]
    elif role == "owner":
        studios, host_id = [], None
    else:
        host_id = None
    outside = sorted(set(studios) - owner.studios)
    if outside:
        raise Forbidden(f"studio(s) {', '.join(outside)} are outside your organisation")
    if not await identity.repo.update_user_role(user_id, owner.org, role, sorted(set(studios)), host_id):
        raise NotFound(f"user {user_id!r} not found")
    identity.forget()
    await identity.audit(
        org_id=owner.org,
        actor=owner.sub,
        role=owner.role,
        action="user.role_changed",
        target=user_id,
        detail={"role": role, "studios": sorted(set(studios)), "host_id": host_id},
        address=address,
    )
    user = await identity.repo.user(user_id, owner.org)
    assert user is not None
    return user


async def remove_user(identity: Identity, owner: Principal, user_id: str, address: str | None) -> None:
    assert owner.org is not None
    if user_id == owner.sub:
        raise Forbidden("owners cannot remove themselves")
    user = await identity.repo.user(user_id, owner.org)
    if user is None or not await identity.repo.delete_user(user_id, owner.org):
        raise NotFound(f"user {user_id!r} not found")
    identity.forget()  # their sessions are gone with them: the next request of any of them is a 401
    await identity.audit(
        org_id=owner.org,
        actor=owner.sub,
        role=owner.role,
        action="user.removed",
        target=user_id,
        detail={"email": user["email"], "role": user["role"]},
        address=address,
    )


# --- service keys --------------------------------------------------------------------------------------
async def create_key(
    identity: Identity, owner: Principal, name: str, studios: list[str], address: str | None
) -> tuple[Record, str]:
    assert owner.org is not None
    if "*" not in studios:
        outside = sorted(set(studios) - owner.studios)
        if outside:
            raise Forbidden(f"studio(s) {', '.join(outside)} are outside your organisation")
    key_id, key, secret_hash = credentials.new_service_key()
    row = await identity.repo.create_service_key(
        key_id=key_id,
        org_id=owner.org,
        name=name,
        studios=sorted(set(studios)),
        secret_hash=secret_hash,
        created_by=owner.sub,
    )
    await identity.audit(
        org_id=owner.org,
        actor=owner.sub,
        role=owner.role,
        action="service_key.created",
        target=key_id,
        detail={"name": name, "studios": sorted(set(studios))},
        address=address,
    )
    return row, key


async def revoke_key(identity: Identity, owner: Principal, key_id: str, address: str | None) -> None:
    assert owner.org is not None
    if not await identity.repo.revoke_service_key(key_id, owner.org):
        raise NotFound(f"service key {key_id!r} not found")
    identity.forget()
    await identity.audit(
        org_id=owner.org,
        actor=owner.sub,
        role=owner.role,
        action="service_key.revoked",
        target=key_id,
        address=address,
    )
