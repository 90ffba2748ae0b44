"""Request and response shapes of the identity routes (msgspec structs, documented in OpenAPI).

Secrets leave the gateway once: the access token and CSRF token of a sign-in or refresh (the refresh token only
as an HttpOnly cookie), an invitation's token and link to the owner who created it, a service key at creation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

from livestudio_gateway.auth import ID_PATTERN

Id = Annotated[str, Meta(pattern=ID_PATTERN, description="identifier: letters, digits and _.:@- (max 128)")]
Email = Annotated[str, Meta(min_length=3, max_length=320, pattern=r"^[^@\s\x00-\x1f]{1,64}@[^@\s\x00-\x1f]{1,255}\Z")]
Password = Annotated[str, Meta(min_length=1, max_length=1024, description="at least 10 characters (settings)")]
Token = Annotated[str, Meta(min_length=16, max_length=200, pattern=r"^[A-Za-z0-9_-]+\Z")]
Name = Annotated[str, Meta(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*\Z")]
StudioIdOrAll = Annotated[str, Meta(pattern=r"^(\*|[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127})\Z")]
PersonRole = Literal["owner", "manager", "host"]


class _In(Struct, kw_only=True, forbid_unknown_fields=True):
    """Request bodies: unknown fields are rejected."""


class _Out(Struct, kw_only=True):
    """Responses: every field is always present (null when unknown)."""


# --- requests -------------------------------------------------------------------------------------------------
class SignInBody(_In):
    email: Email
    password: Password


class ResetRequestBody(_In):
    email: Email


class ResetConfirmBody(_In):
    token: Token
    password: Password


class AcceptBody(_In):
    token: Token
    password: Password
    name: Name = ""


class InvitationBody(_In):
    email: Email
    role: Literal["manager", "host"]
    studios: Annotated[list[Id], Meta(max_length=1000)] = []
    host_id: Id | None = None


class RoleBody(_In):
    role: PersonRole
    studios: Annotated[list[Id], Meta(max_length=1000)] = []
    host_id: Id | None = None


class ServiceKeyBody(_In):
    name: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+\Z")]
    studios: Annotated[
        list[StudioIdOrAll], Meta(min_length=1, max_length=1000, description='studio ids, or ["*"] = every studio')
    ]


# --- responses --------------------------------------------------------------------------------------------------
class User(_Out):
    user_id: str
    email: str
    name: str
    role: PersonRole
    studios: list[str]
    host_id: str | None
    created_at: datetime


class SignedIn(_Out):
    access_token: Annotated[str, Meta(description="JWT for `Authorization: Bearer` (also set as an HttpOnly cookie)")]
    token_type: Literal["Bearer"]
    expires_in: Annotated[int, Meta(description="seconds the access token is valid")]
    csrf_token: Annotated[str, Meta(description="send as X-CSRF-Token on cookie-authenticated writes")]
    org_id: str
    user: User


class Accepted(_Out):
    status: Literal["accepted"]


class Organisation(_Out):
    org_id: str
    name: str
    role: Literal["owner", "manager", "host", "service"]
    sub: str
    studios: Annotated[list[str], Meta(description="studios the caller sees in the organisation")]


class UserList(_Out):
    items: list[User]


class Invitation(_Out):
    invitation_id: str
    email: str
    role: Literal["manager", "host"]
    studios: list[str]
    host_id: str | None
    invited_by: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None


class InvitationCreated(_Out):
    invitation: Invitation
    token: Annotated[str, Meta(description="shown once; also mailed to the invitee")]
    link: str


class InvitationList(_Out):
    items: list[Invitation]


class ServiceKey(_Out):
    key_id: str
    name: str
    studios: list[str]
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ServiceKeyCreated(_Out):
    service_key: ServiceKey
    key: Annotated[str, Meta(description="the bearer credential; shown once, stored only hashed")]


class ServiceKeyList(_Out):
    items: list[ServiceKey]


class AuditEntry(_Out):
    audit_id: int
    at: datetime
    actor: str
    actor_role: str | None
    action: str
    target: str | None
    studio_id: str | None
    address: str | None
    detail: dict[str, object]


class AuditPage(_Out):
    items: list[AuditEntry]
    next_cursor: Annotated[str | None, Meta(description="pass as cursor for older entries")]
