"""Routes of the caller's organisation (`/api/v1/org/*`): the organisation and scope of any of its callers; for its
owners the people, invitations, service keys and the audit trail (JSON pages and CSV)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from litestar import Response, delete, get, patch, post
from litestar.params import JSONBody, QueryParameter

from livestudio_gateway.auth import ID_PATTERN, Principal
from livestudio_gateway.handlers.common import READS, WRITES, ApiRequest, IdPath, caller
from livestudio_gateway.identity import audit, people
from livestudio_gateway.identity.handlers import address as _address
from livestudio_gateway.identity.handlers import user_view as _user
from livestudio_gateway.identity.models import (
    AuditEntry,
    AuditPage,
    Invitation,
    InvitationBody,
    InvitationCreated,
    InvitationList,
    Organisation,
    RoleBody,
    ServiceKey,
    ServiceKeyBody,
    ServiceKeyCreated,
    ServiceKeyList,
    User,
    UserList,
)
from livestudio_gateway.identity.service import Identity
from livestudio_gateway.problems import BadRequest, Forbidden, NotFound, Unavailable
from livestudio_gateway.state import Gateway


def _owner(request: ApiRequest) -> tuple[Principal, Gateway, Identity]:
    principal, gw = caller(request)
    if principal.org is None or principal.role != "owner":
        raise Forbidden("only an organisation's owner may do this (sign in as the owner)")
    if gw.identity is None:
        raise Unavailable("identity is disabled on this gateway")
    return principal, gw, gw.identity


async def _host_studio(gw: Gateway, owner: Principal, host_id: str | None) -> str | None:
    if host_id is None:
        return None
    rows = await gw.repo.hosts(sorted(owner.studios), host_id=host_id)
    if not rows:
        raise NotFound(f"host {host_id!r} not found in your organisation")
    studio: str = rows[0]["studio_id"]
    return studio


# --- the caller's organisation ------------------------------------------------------------------------------------
@get("/org", summary="The caller's organisation and scope", tags=["organisation"], responses=READS)
async def organisation(request: ApiRequest) -> Organisation:
    principal, gw = caller(request)
    if principal.org is None or gw.identity is None:
        raise NotFound("this credential belongs to no organisation (an operator's token)")
    row = await gw.identity.repo.org(principal.org)
    if row is None:
        raise NotFound("organisation not found")
    return Organisation(
        org_id=row["org_id"],
        name=row["name"],
        role=principal.role,
        sub=principal.sub,
        studios=sorted(principal.studios),
    )


@get("/org/users", summary="People of the organisation (owners)", tags=["organisation"], responses=READS)
async def list_users(request: ApiRequest) -> UserList:
    principal, _, identity = _owner(request)
    assert principal.org is not None
    return UserList(items=[_user(r) for r in await identity.repo.users(principal.org)])


@patch(
    "/org/users/{user_id:str}",
    summary="Change a person's role and studios (owners)",
    tags=["organisation"],
    responses=WRITES,
)
async def change_role(request: ApiRequest, user_id: IdPath, data: JSONBody[RoleBody]) -> User:
    principal, gw, identity = _owner(request)
    host_studio = await _host_studio(gw, principal, data.host_id) if data.role == "host" else None
    row = await people.change_role(
        identity,
        principal,
        user_id,
        role=data.role,
        studios=list(data.studios),
        host_id=data.host_id,
        host_studio=host_studio,
        address=_address(request),
    )
    return _user(row)


@delete(
    "/org/users/{user_id:str}",
    summary="Remove a person (owners); their sessions end at once",
    tags=["organisation"],
    status_code=204,
    responses=WRITES,
)
async def remove_user(request: ApiRequest, user_id: IdPath) -> None:
    principal, _, identity = _owner(request)
    await people.remove_user(identity, principal, user_id, _address(request))


def _invitation(row: Any) -> Invitation:
    return Invitation(
        invitation_id=row["invitation_id"],
        email=row["email"],
        role=row["role"],
        studios=list(row["studios"]),
        host_id=row["host_id"],
        invited_by=row["invited_by"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        accepted_at=row["accepted_at"],
        revoked_at=row["revoked_at"],
    )


@get("/org/invitations", summary="Invitations of the organisation (owners)", tags=["organisation"], responses=READS)
async def list_invitations(request: ApiRequest) -> InvitationList:
    principal, _, identity = _owner(request)
    assert principal.org is not None
    return InvitationList(items=[_invitation(r) for r in await identity.repo.invitations(principal.org)])


@post(
    "/org/invitations",
    summary="Invite a manager of given studios or a host (owners)",
    description="The link (one-time, expiring) is mailed to the invitee and returned once.",
    tags=["organisation"],
    status_code=201,
    responses=WRITES,
)
async def invite(request: ApiRequest, data: JSONBody[InvitationBody]) -> InvitationCreated:
    principal, gw, identity = _owner(request)
    host_studio = await _host_studio(gw, principal, data.host_id) if data.role == "host" else None
    row, token, link = await people.invite(
        identity,
        principal,
        email=data.email,
        role=data.role,
        studios=list(data.studios),
        host_id=data.host_id,
        host_studio=host_studio,
        address=_address(request),
    )
    return InvitationCreated(invitation=_invitation(row), token=token, link=link)


@delete(
    "/org/invitations/{invitation_id:str}",
    summary="Revoke an invitation that was not accepted (owners)",
    tags=["organisation"],
    status_code=204,
    responses=WRITES,
)
async def revoke_invitation(request: ApiRequest, invitation_id: IdPath) -> None:
    principal, _, identity = _owner(request)
    assert principal.org is not None
    if not await identity.repo.revoke_invitation(invitation_id, principal.org):
        raise NotFound(f"open invitation {invitation_id!r} not found")
    await identity.audit(
        org_id=principal.org,
        actor=principal.sub,
        role=principal.role,
        action="invitation.revoked",
        target=invitation_id,
        address=_address(request),
    )


def _key(row: Any) -> ServiceKey:
    return ServiceKey(
        key_id=row["key_id"],
        name=row["name"],
        studios=list(row["studios"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )


@get("/org/service-keys", summary="Service keys (owners)", tags=["organisation"], responses=READS)
async def list_keys(request: ApiRequest) -> ServiceKeyList:
    principal, _, identity = _owner(request)
    assert principal.org is not None
    return ServiceKeyList(items=[_key(r) for r in await identity.repo.service_keys(principal.org)])


@post(
    "/org/service-keys",
    summary="Create a read-only service key for an integration (owners)",
    description="The key is shown once; use it as `Authorization: Bearer <key>`.",
    tags=["organisation"],
    status_code=201,
    responses=WRITES,
)
async def create_key(request: ApiRequest, data: JSONBody[ServiceKeyBody]) -> ServiceKeyCreated:
    principal, _, identity = _owner(request)
    row, key = await people.create_key(identity, principal, data.name, list(data.studios), _address(request))
    return ServiceKeyCreated(service_key=_key(row), key=key)


@delete(
    "/org/service-keys/{key_id:str}",
    summary="Revoke a service key (owners)",
    tags=["organisation"],
    status_code=204,
    responses=WRITES,
)
async def revoke_key(request: ApiRequest, key_id: IdPath) -> None:
    principal, _, identity = _owner(request)
    await people.revoke_key(identity, principal, key_id, _address(request))


# --- audit trail --------------------------------------------------------------------------------------------------
ActorQ = Annotated[str | None, QueryParameter(max_length=320, description="only this actor (user id or email)")]
ActionQ = Annotated[
    str | None,
    QueryParameter(pattern=r"^[a-z_.]{1,100}\Z", description="only this action or its family (e.g. command)"),
]
AuditStudioQ = Annotated[str | None, QueryParameter(pattern=ID_PATTERN, max_length=128, description="only this studio")]
SinceQ = Annotated[datetime | None, QueryParameter(description="entries at or after this time")]
UntilQ = Annotated[datetime | None, QueryParameter(description="entries before this time")]
AuditCursorQ = Annotated[str | None, QueryParameter(pattern=r"^[0-9]{1,18}\Z", description="next_cursor of a page")]
AuditLimitQ = Annotated[int, QueryParameter(ge=1, le=500, description="page size")]


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise BadRequest(f"{name} needs a UTC offset")
    return value


async def _audit_rows(
    request: ApiRequest,
    actor: str | None,
    action: str | None,
    studio_id: str | None,
    since: datetime | None,
    until: datetime | None,
    cursor: str | None,
    limit: int,
) -> list[Any]:
    principal, _, identity = _owner(request)
    assert principal.org is not None
    return await identity.repo.audit_entries(
        principal.org,
        actor=actor,
        action=action,
        studio_id=studio_id,
        since=_aware(since, "since"),
        until=_aware(until, "until"),
        before_id=int(cursor) if cursor is not None else None,
        limit=limit,
    )


@get("/org/audit", summary="The audit trail, newest first (owners)", tags=["organisation"], responses=READS)
async def audit_trail(
    request: ApiRequest,
    actor: ActorQ = None,
    action: ActionQ = None,
    studio_id: AuditStudioQ = None,
    since: SinceQ = None,
    until: UntilQ = None,
    cursor: AuditCursorQ = None,
    limit: AuditLimitQ = 100,
) -> AuditPage:
    rows = await _audit_rows(request, actor, action, studio_id, since, until, cursor, limit + 1)
    items = [
        AuditEntry(
            audit_id=r["audit_id"],
            at=r["at"],
            actor=r["actor"],
            actor_role=r["actor_role"],
            action=r["action"],
            target=r["target"],
            studio_id=r["studio_id"],
            address=r["address"],
            detail=json.loads(r["detail"]),
        )
        for r in rows[:limit]
    ]
    next_cursor = str(rows[limit - 1]["audit_id"]) if len(rows) > limit else None
    return AuditPage(items=items, next_cursor=next_cursor)


@get(
    "/org/audit.csv",
    summary="The audit trail as CSV (owners)",
    tags=["organisation"],
    media_type="text/csv",
    responses=READS,
)
async def audit_csv(
    request: ApiRequest,
    actor: ActorQ = None,
    action: ActionQ = None,
    studio_id: AuditStudioQ = None,
    since: SinceQ = None,
    until: UntilQ = None,
) -> Response[str]:
    gw: Gateway = request.app.state.gateway
    rows = await _audit_rows(request, actor, action, studio_id, since, until, None, gw.settings.export_max_rows)
    return Response(
        audit.to_csv(rows),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


ROUTES = [
    organisation,
    list_users,
    change_role,
    remove_user,
    list_invitations,
    invite,
    revoke_invitation,
    list_keys,
    create_key,
    revoke_key,
    audit_trail,
    audit_csv,
]
