"""Identity attacked for real: a running gateway app on its own seeded PostgreSQL database, the real broker, and a
local SMTP sink. Organisation `org-a` owns studio-a, `org-b` owns studio-b (studio-c stays with the migration's
`default` organisation)."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from livestudio_devinfra.mailsink import MailSink
from livestudio_gateway.auth import JwtKeys, mint_token
from livestudio_gateway.identity.admin import add_user
from livestudio_gateway.main import create_app
from tests.gateway import kit as gateway_kit
from tests.gateway.conftest import JWT_SECRET, bearer, gateway_settings

Client = AsyncTestClient[Litestar]
PASSWORD = "correct horse battery"
OWNER_A, OWNER_B = "owner@a.example", "owner@b.example"


@pytest.fixture(scope="module")
async def identity_db(pg_dsn: str) -> AsyncIterator[str]:
    async with gateway_kit.seeded_database(pg_dsn, "gwid") as dsn:
        yield dsn


REUSE_GRACE_S = 1.0


@pytest.fixture(scope="module")
def sink() -> Iterator[MailSink]:
    with MailSink(port=0) as running:
        yield running


@pytest.fixture(scope="module")
async def app(identity_db: str, kafka_bootstrap: str, sink: MailSink) -> Litestar:
    return create_app(
        gateway_settings(
            identity_db,
            kafka_bootstrap,
            smtp_port=sink.port,
            signin_free_failures=3,
            signin_address_free_failures=8,
            principal_cache_s=30.0,  # long on purpose: removal and revocation must not wait for it
            refresh_reuse_grace_s=REUSE_GRACE_S,
            jwt_issuer="livestudio-test",
            jwt_audience="livestudio-api",
        )
    )


@pytest.fixture(scope="module")
async def client(app: Litestar, identity_db: str) -> AsyncIterator[Client]:
    async with AsyncTestClient(app) as c:
        conn = await asyncpg.connect(identity_db)
        try:
            await conn.execute("INSERT INTO identity.organisations VALUES ('org-a', 'A'), ('org-b', 'B')")
            await conn.execute("UPDATE identity.org_studios SET org_id = 'org-a' WHERE studio_id = 'studio-a'")
            await conn.execute("UPDATE identity.org_studios SET org_id = 'org-b' WHERE studio_id = 'studio-b'")
        finally:
            await conn.close()
        passwords = app.state.gateway.identity.passwords
        for org, email in (("org-a", OWNER_A), ("org-b", OWNER_B)):
            await add_user(
                identity_db,
                org_id=org,
                org_name=org,
                email=email,
                password=PASSWORD,
                role="owner",
                studios=[],
                passwords=passwords,
            )
        yield c


@pytest.fixture(autouse=True)
async def _clean_throttle(client: Client, identity_db: str) -> None:
    conn = await asyncpg.connect(identity_db)
    try:
        await conn.execute("DELETE FROM identity.signin_throttle")
    finally:
        await conn.close()
    client.cookies.clear()


# --- helpers ----------------------------------------------------------------------------------------------------
def set_cookies(response: Response) -> dict[str, str]:
    """name -> the raw Set-Cookie header of that cookie."""
    out = {}
    for header in response.headers.get_list("set-cookie"):
        out[header.split("=", 1)[0]] = header
    return out


def cookie_value(response: Response, name: str) -> str:
    return set_cookies(response)[name].split("=", 1)[1].split(";", 1)[0].strip('"')


async def sign_in(client: Client, email: str, password: str = PASSWORD) -> Response:
    response = await client.post("/api/v1/auth/signin", json={"email": email, "password": password})
    client.cookies.clear()  # every test passes its cookies explicitly
    return response


async def signed_in(client: Client, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await sign_in(client, email, password)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    body["refresh"] = cookie_value(response, "ls_refresh")
    return body


async def refresh(client: Client, refresh_token: str, csrf: str | None) -> Response:
    headers = {"Cookie": f"ls_refresh={refresh_token}"}
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    response = await client.post("/api/v1/auth/refresh", headers=headers)
    client.cookies.clear()
    return response


async def invite_and_accept(
    client: Client, owner: dict[str, Any], sink: MailSink, body: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    created = await client.post("/api/v1/org/invitations", headers=bearer(owner["access_token"]), json=body)
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    mail = await wait_for_mail(sink, body["email"])
    assert token in mail  # the invitee gets the same one-time link by mail
    accepted = await client.post(
        "/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD, "name": "New Person"}
    )
    assert accepted.status_code == 201, accepted.text
    return token, accepted.json()


async def wait_for_mail(sink: MailSink, address: str, count: int = 1) -> str:
    for _ in range(200):
        mails = sink.to(address)
        if len(mails) >= count:
            return mails[count - 1].body
        await asyncio.sleep(0.02)
    raise AssertionError(f"no mail to {address}")


def new_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@a.example"


# --- sign-in, scope ------------------------------------------------------------------------------------------------
async def test_sign_in_sets_session_cookies_and_scopes_the_owner_to_the_organisation(client: Client) -> None:
    response = await sign_in(client, OWNER_A.upper())  # emails are case-insensitive
    assert response.status_code == 200, response.text
    cookies = set_cookies(response)
    for name in ("ls_access", "ls_refresh"):
        attributes = cookies[name].lower()
        assert "httponly" in attributes and "samesite=strict" in attributes and "secure" not in attributes
    assert "httponly" not in cookies["ls_csrf"].lower()
    assert "Path=/api/v1/auth" in cookies["ls_refresh"]
    body = response.json()
    assert body["org_id"] == "org-a" and body["user"]["role"] == "owner" and "password" not in response.text
    auth = bearer(body["access_token"])
    org = (await client.get("/api/v1/org", headers=auth)).json()
    assert org["org_id"] == "org-a" and org["studios"] == ["studio-a"]
    studios = (await client.get("/api/v1/studios", headers=auth)).json()["items"]
    assert [s["studio_id"] for s in studios] == ["studio-a"]
    me = (await client.get("/api/v1/me", headers=auth)).json()
    assert me["studios"] == ["studio-a"]  # no longer "every studio" (null)
    # the same session by cookie alone (a browser): reads need no CSRF token
    by_cookie = await client.get("/api/v1/studios", headers={"Cookie": f"ls_access={body['access_token']}"})
    assert by_cookie.status_code == 200 and len(by_cookie.json()["items"]) == 1


async def test_unknown_email_and_wrong_password_look_the_same(client: Client, identity_db: str) -> None:
    async def attempt(email: str) -> tuple[Response, float]:
        started = time.perf_counter()
        response = await sign_in(client, email, "wrong password!")
        elapsed = time.perf_counter() - started
        conn = await asyncpg.connect(identity_db)
        try:
            await conn.execute("DELETE FROM identity.signin_throttle")
        finally:
            await conn.close()
        return response, elapsed

    known, unknown = [], []
    for _ in range(7):
        known.append(await attempt(OWNER_A))
        unknown.append(await attempt(f"nobody-{uuid.uuid4().hex[:6]}@a.example"))
    for (k, _), (u, _) in zip(known, unknown, strict=True):
        assert k.status_code == u.status_code == 401
        assert k.json() == u.json()
        assert k.headers.get("www-authenticate") == u.headers.get("www-authenticate")
    known_median = statistics.median(t for _, t in known)
    unknown_median = statistics.median(t for _, t in unknown)
    assert 0.5 < known_median / unknown_median < 2.0, (known_median, unknown_median)
    # the password reset request answers the same too
    a = await client.post("/api/v1/auth/password-reset", json={"email": OWNER_A})
    b = await client.post("/api/v1/auth/password-reset", json={"email": "nobody@a.example"})
    assert a.status_code == b.status_code == 202 and a.json() == b.json()


async def test_brute_force_on_an_account_gets_growing_delays(client: Client) -> None:
    for _ in range(3):
        assert (await sign_in(client, OWNER_B, "guess guess guess")).status_code == 401
    blocked = await sign_in(client, OWNER_B)  # even the right password waits now
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "1"
    await asyncio.sleep(1.1)
    assert (await sign_in(client, OWNER_B, "guess guess guess")).status_code == 401
    again = await sign_in(client, OWNER_B)
    assert again.status_code == 429 and again.headers["retry-after"] == "2"
    # an unknown email is throttled the same way (the delay does not tell which emails exist)
    ghost = "ghost@b.example"
    for _ in range(3):
        assert (await sign_in(client, ghost, "guess guess guess")).status_code == 401
    assert (await sign_in(client, ghost)).status_code == 429


async def test_brute_force_from_one_address_across_accounts_is_delayed(client: Client) -> None:
    for i in range(8):
        assert (await sign_in(client, f"spray-{i}@b.example", "Password123")).status_code == 401
    assert (await sign_in(client, OWNER_A)).status_code == 429  # the address waits, whatever the account


# --- sessions ----------------------------------------------------------------------------------------------------
async def test_refresh_rotates_and_reuse_revokes_the_family(client: Client) -> None:
    first = await signed_in(client, OWNER_A)
    rotated = await refresh(client, first["refresh"], first["csrf_token"])
    assert rotated.status_code == 200, rotated.text
    second_refresh = cookie_value(rotated, "ls_refresh")
    assert second_refresh != first["refresh"]
    access = rotated.json()["access_token"]
    assert (await client.get("/api/v1/studios", headers=bearer(access))).status_code == 200
    # an attacker replays the first refresh token after the grace period: the whole session ends
    await asyncio.sleep(REUSE_GRACE_S + 0.2)
    replay = await refresh(client, first["refresh"], first["csrf_token"])
    assert replay.status_code == 401
    assert (await refresh(client, second_refresh, first["csrf_token"])).status_code == 401
    assert (await client.get("/api/v1/studios", headers=bearer(access))).status_code == 401
    assert (await client.get("/api/v1/studios", headers=bearer(first["access_token"]))).status_code == 401
    # another session of the same person is untouched
    other = await signed_in(client, OWNER_A)
    assert (await client.get("/api/v1/studios", headers=bearer(other["access_token"]))).status_code == 200


async def test_two_tabs_refreshing_with_the_same_cookie_both_stay_signed_in(client: Client) -> None:
    """Both tabs send the refresh cookie they share at once: within the grace period the token rotates twice and
    the session goes on; each successor works, and the session still ends for a replay after the grace period."""
    first = await signed_in(client, OWNER_A)
    tab_a, tab_b = await asyncio.gather(
        refresh(client, first["refresh"], first["csrf_token"]), refresh(client, first["refresh"], first["csrf_token"])
    )
    assert (tab_a.status_code, tab_b.status_code) == (200, 200), (tab_a.text, tab_b.text)
    successors = {cookie_value(tab_a, "ls_refresh"), cookie_value(tab_b, "ls_refresh")}
    assert len(successors) == 2 and first["refresh"] not in successors
    for response in (tab_a, tab_b):
        assert (await client.get("/api/v1/studios", headers=bearer(response.json()["access_token"]))).status_code == 200
    later = await refresh(client, cookie_value(tab_b, "ls_refresh"), first["csrf_token"])
    assert later.status_code == 200, later.text
    await asyncio.sleep(REUSE_GRACE_S + 0.2)
    assert (await refresh(client, first["refresh"], first["csrf_token"])).status_code == 401
    assert (await refresh(client, cookie_value(later, "ls_refresh"), first["csrf_token"])).status_code == 401


async def test_sign_out_revokes_the_session(client: Client) -> None:
    session = await signed_in(client, OWNER_A)
    headers = {"Cookie": f"ls_refresh={session['refresh']}"}
    assert (await client.post("/api/v1/auth/signout", headers=headers)).status_code == 403  # no CSRF token
    out = await client.post("/api/v1/auth/signout", headers={**headers, "X-CSRF-Token": session["csrf_token"]})
    assert out.status_code == 204
    assert all("max-age=0" in c.lower() for c in set_cookies(out).values())
    client.cookies.clear()
    assert (await client.get("/api/v1/org", headers=bearer(session["access_token"]))).status_code == 401
    assert (await refresh(client, session["refresh"], session["csrf_token"])).status_code == 401


async def test_cookie_authenticated_writes_need_the_csrf_token(client: Client) -> None:
    session = await signed_in(client, OWNER_A)
    cookie = {"Cookie": f"ls_access={session['access_token']}"}
    body = {"name": "Studio A", "timezone": "Asia/Jakarta"}
    forged = await client.put("/api/v1/studios/studio-a", headers=cookie, json=body)
    assert forged.status_code == 403 and "csrf" in forged.json()["type"]
    wrong = await client.put("/api/v1/studios/studio-a", headers={**cookie, "X-CSRF-Token": "0" * 64}, json=body)
    assert wrong.status_code == 403
    other = await signed_in(client, OWNER_A)  # another session's token is no good either
    mixed = await client.put(
        "/api/v1/studios/studio-a", headers={**cookie, "X-CSRF-Token": other["csrf_token"]}, json=body
    )
    assert mixed.status_code == 403
    ok = await client.put(
        "/api/v1/studios/studio-a", headers={**cookie, "X-CSRF-Token": session["csrf_token"]}, json=body
    )
    assert ok.status_code == 202, ok.text
    # a refresh is a cookie-authenticated write too
    assert (await refresh(client, session["refresh"], None)).status_code == 403
    # bearer clients need no CSRF token
    api = await client.put("/api/v1/studios/studio-a", headers=bearer(session["access_token"]), json=body)
    assert api.status_code == 202


# --- people -------------------------------------------------------------------------------------------------------
async def test_removed_user_loses_a_live_session_at_once(client: Client, sink: MailSink) -> None:
    owner = await signed_in(client, OWNER_A)
    email = new_email("manager")
    _, user = await invite_and_accept(client, owner, sink, {"email": email, "role": "manager", "studios": ["studio-a"]})
    manager = await signed_in(client, email)
    auth = bearer(manager["access_token"])
    assert [s["studio_id"] for s in (await client.get("/api/v1/studios", headers=auth)).json()["items"]] == ["studio-a"]
    assert (await client.get("/api/v1/org/users", headers=auth)).status_code == 403  # managers do not manage people
    removed = await client.delete(f"/api/v1/org/users/{user['user_id']}", headers=bearer(owner["access_token"]))
    assert removed.status_code == 204
    assert (await client.get("/api/v1/studios", headers=auth)).status_code == 401
    assert (await refresh(client, manager["refresh"], manager["csrf_token"])).status_code == 401
    assert (await sign_in(client, email)).status_code == 401


async def test_a_removed_users_open_live_stream_is_no_longer_admitted(
    app: Litestar, client: Client, sink: MailSink
) -> None:
    """An open SSE stream asks `still_signed_in` at each keep-alive (live.stream, unit-tested) and ends on False."""
    identity = app.state.gateway.identity
    owner = await signed_in(client, OWNER_A)
    email = new_email("watcher")
    _, user = await invite_and_accept(client, owner, sink, {"email": email, "role": "manager", "studios": ["studio-a"]})
    manager = await signed_in(client, email)
    principal = identity.verifier.verify(manager["access_token"])
    portal = client.blocking_portal  # the app runs on the test client's own loop
    assert portal.call(identity.still_signed_in, principal)
    removed = await client.delete(f"/api/v1/org/users/{user['user_id']}", headers=bearer(owner["access_token"]))
    assert removed.status_code == 204
    assert not portal.call(identity.still_signed_in, principal)


async def test_role_change_applies_to_live_sessions(client: Client, sink: MailSink) -> None:
    owner = await signed_in(client, OWNER_A)
    email = new_email("host")
    _, user = await invite_and_accept(client, owner, sink, {"email": email, "role": "host", "host_id": "host-a1"})
    assert user["role"] == "host" and user["studios"] == ["studio-a"] and user["host_id"] == "host-a1"
    host = await signed_in(client, email)
    auth = bearer(host["access_token"])
    me = (await client.get("/api/v1/me", headers=auth)).json()
    assert me["role"] == "host" and me["host_id"] == "host-a1"
    changed = await client.patch(
        f"/api/v1/org/users/{user['user_id']}",
        headers=bearer(owner["access_token"]),
        json={"role": "manager", "studios": ["studio-a"]},
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get("/api/v1/me", headers=auth)).json()["role"] == "manager"
    # a host record of another organisation cannot be used
    foreign = await client.post(
        "/api/v1/org/invitations",
        headers=bearer(owner["access_token"]),
        json={"email": new_email("x"), "role": "host", "host_id": "host-b1"},
    )
    assert foreign.status_code == 404


async def test_an_invitation_works_once_and_not_after_expiry(client: Client, sink: MailSink, identity_db: str) -> None:
    owner = await signed_in(client, OWNER_A)
    token, _ = await invite_and_accept(
        client, owner, sink, {"email": new_email("once"), "role": "manager", "studios": ["studio-a"]}
    )
    twice = await client.post("/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD})
    assert twice.status_code == 400 and twice.json()["type"].endswith("invalid-link")
    late_email = new_email("late")
    created = await client.post(
        "/api/v1/org/invitations",
        headers=bearer(owner["access_token"]),
        json={"email": late_email, "role": "manager", "studios": ["studio-a"]},
    )
    conn = await asyncpg.connect(identity_db)
    try:
        await conn.execute(
            "UPDATE identity.invitations SET expires_at = now() - interval '1 second' WHERE invitation_id = $1",
            created.json()["invitation"]["invitation_id"],
        )
    finally:
        await conn.close()
    late = await client.post(
        "/api/v1/auth/invitations/accept", json={"token": created.json()["token"], "password": PASSWORD}
    )
    assert late.status_code == 400
    assert (await sign_in(client, late_email)).status_code == 401
    # an owner cannot invite into another organisation's studio
    foreign = await client.post(
        "/api/v1/org/invitations",
        headers=bearer(owner["access_token"]),
        json={"email": new_email("f"), "role": "manager", "studios": ["studio-b"]},
    )
    assert foreign.status_code == 403


async def test_password_reset_by_one_time_link(client: Client, sink: MailSink) -> None:
    owner = await signed_in(client, OWNER_A)
    email = new_email("reset")
    await invite_and_accept(client, owner, sink, {"email": email, "role": "manager", "studios": ["studio-a"]})
    before = await signed_in(client, email)
    assert (await client.post("/api/v1/auth/password-reset", json={"email": email})).status_code == 202
    body = await wait_for_mail(sink, email, count=2)
    match = re.search(r"#token=([A-Za-z0-9_-]+)", body)
    assert match is not None
    new_password = "a brand new password"
    confirm = {"token": match.group(1), "password": new_password}
    assert (await client.post("/api/v1/auth/password-reset/confirm", json=confirm)).status_code == 204
    assert (await client.post("/api/v1/auth/password-reset/confirm", json=confirm)).status_code == 400
    assert (await client.get("/api/v1/org", headers=bearer(before["access_token"]))).status_code == 401
    assert (await sign_in(client, email)).status_code == 401
    assert (await sign_in(client, email, new_password)).status_code == 200


# --- organisations -------------------------------------------------------------------------------------------------
async def test_an_owner_cannot_read_or_write_another_organisation(client: Client, identity_db: str) -> None:
    a = bearer((await signed_in(client, OWNER_A))["access_token"])
    b = bearer((await signed_in(client, OWNER_B))["access_token"])
    assert (await client.get("/api/v1/studios/studio-a", headers=b)).status_code == 404
    assert (await client.get("/api/v1/sessions", headers=b, params={"studio_id": "studio-a"})).status_code == 403
    sessions = (await client.get("/api/v1/sessions", headers=b, params={"limit": 200})).json()["items"]
    assert sessions and {s["studio_id"] for s in sessions} == {"studio-b"}
    assert (await client.get("/api/v1/accounts/acc-a1", headers=b)).status_code == 404
    body = {"name": "Mine now", "timezone": "Asia/Jakarta"}
    assert (await client.put("/api/v1/studios/studio-a", headers=b, json=body)).status_code == 403
    # removing a studio: another organisation's is missing (404), before anything is said about its history
    assert (await client.delete("/api/v1/studios/studio-a", headers=b)).status_code == 404
    assert (await client.delete("/api/v1/studios/studio-a", headers=a)).status_code == 409
    assert (await client.put("/api/v1/studios/studio-c", headers=b, json=body)).status_code == 403  # default org's
    global_rule = {"rule_kind": "per_order", "amount": "700", "effective_from": "2026-11-01"}
    assert (await client.put("/api/v1/rules/global-x", headers=b, json=global_rule)).status_code == 403
    users_a = (await client.get("/api/v1/org/users", headers=a)).json()["items"]
    owner_a = next(u for u in users_a if u["email"] == OWNER_A)
    assert (await client.delete(f"/api/v1/org/users/{owner_a['user_id']}", headers=b)).status_code == 404
    assert OWNER_A not in (await client.get("/api/v1/org/users", headers=b)).text
    # a new studio created through the API belongs to its creator's organisation
    new_studio = f"studio-b-{uuid.uuid4().hex[:6]}"
    assert (await client.put(f"/api/v1/studios/{new_studio}", headers=b, json=body)).status_code == 202
    assert new_studio in (await client.get("/api/v1/org", headers=b)).json()["studios"]
    assert (await client.put(f"/api/v1/studios/{new_studio}", headers=a, json=body)).status_code == 403
    # a studio that exists but belongs to no organisation (an operator's) cannot be taken by naming it
    conn = await asyncpg.connect(identity_db)
    try:
        await conn.execute("DELETE FROM identity.org_studios WHERE studio_id = 'studio-c'")
        assert (await client.put("/api/v1/studios/studio-c", headers=b, json=body)).status_code == 403
    finally:
        await conn.execute("INSERT INTO identity.org_studios VALUES ('studio-c', 'default')")
        await conn.close()


async def test_service_keys_are_scoped_shown_once_and_revocable(client: Client) -> None:
    owner = bearer((await signed_in(client, OWNER_A))["access_token"])
    created = await client.post(
        "/api/v1/org/service-keys", headers=owner, json={"name": "BI export", "studios": ["studio-a"]}
    )
    assert created.status_code == 201, created.text
    key, key_id = created.json()["key"], created.json()["service_key"]["key_id"]
    listed = (await client.get("/api/v1/org/service-keys", headers=owner)).text
    assert key_id in listed and key not in listed and key.split("_")[-1] not in listed
    auth = bearer(key)
    assert [s["studio_id"] for s in (await client.get("/api/v1/studios", headers=auth)).json()["items"]] == ["studio-a"]
    write = await client.put("/api/v1/studios/studio-a", headers=auth, json={"name": "x", "timezone": "Asia/Jakarta"})
    assert write.status_code == 403
    assert (await client.get("/api/v1/org/service-keys", headers=auth)).status_code == 403
    used = next(
        k
        for k in (await client.get("/api/v1/org/service-keys", headers=owner)).json()["items"]
        if k["key_id"] == key_id
    )
    assert used["last_used_at"] is not None
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert (await client.get("/api/v1/studios", headers=bearer(tampered))).status_code == 401
    other = await client.post("/api/v1/org/service-keys", headers=owner, json={"name": "bad", "studios": ["studio-b"]})
    assert other.status_code == 403
    assert (await client.delete(f"/api/v1/org/service-keys/{key_id}", headers=owner)).status_code == 204
    assert (await client.get("/api/v1/studios", headers=auth)).status_code == 401


async def test_audit_trail_records_sign_ins_people_and_commands(client: Client, sink: MailSink) -> None:
    owner_session = await signed_in(client, OWNER_A)
    owner = bearer(owner_session["access_token"])
    await invite_and_accept(
        client, owner_session, sink, {"email": new_email("aud"), "role": "manager", "studios": ["studio-a"]}
    )
    spend = await client.put("/api/v1/accounts/acc-a1/ad-spend/2026-11-03", headers=owner, json={"amount": "1000"})
    assert spend.status_code == 202, spend.text
    approve = await client.post("/api/v1/commission/statements/st-a1-nov/approve", headers=owner)
    assert approve.status_code == 202, approve.text
    operator = mint_token(JwtKeys([JWT_SECRET], issuer="livestudio-test"), sub="ops-oncall", role="owner", ttl_s=60)
    paused = await client.post("/api/v1/accounts/acc-a1/pause", headers=bearer(operator))
    assert paused.status_code == 202, paused.text
    corrected = await client.post(
        "/api/v1/studios/studio-a/attendance/w1/correction",
        headers=owner,
        json={"status": "on_time", "reason": "the tablet clock was wrong"},
    )
    assert corrected.status_code == 202, corrected.text
    page = (await client.get("/api/v1/org/audit", headers=owner, params={"limit": 500})).json()
    actions = {e["action"] for e in page["items"]}
    assert {"signin", "invitation.created", "invitation.accepted", "command.adspend.enter"} <= actions
    entry = next(e for e in page["items"] if e["action"] == "command.adspend.enter")
    assert entry["detail"]["command_id"] == spend.json()["command_id"] and entry["studio_id"] == "studio-a"
    assert entry["actor"] == owner_session["user"]["user_id"] and entry["actor_role"] == "owner"
    commands = (await client.get("/api/v1/org/audit", headers=owner, params={"action": "command"})).json()["items"]
    assert commands and all(e["action"].startswith("command.") for e in commands)
    by_id = {e["detail"]["command_id"]: e for e in commands}
    assert by_id[approve.json()["command_id"]]["studio_id"] == "studio-a"  # the statement's studio
    correction = by_id[corrected.json()["command_id"]]  # a manager's attendance correction, with its reason
    assert correction["action"] == "command.schedule.attendance.correct" and correction["studio_id"] == "studio-a"
    assert correction["detail"]["reason"] == "the tablet clock was wrong" and correction["detail"]["entry_id"] == "w1"
    operator_entry = by_id[paused.json()["command_id"]]  # an operator's command on the organisation's studio
    assert operator_entry["actor"] == "ops-oncall" and operator_entry["studio_id"] == "studio-a"
    paged = (await client.get("/api/v1/org/audit", headers=owner, params={"limit": 2})).json()
    older = (
        await client.get("/api/v1/org/audit", headers=owner, params={"limit": 2, "cursor": paged["next_cursor"]})
    ).json()
    assert older["items"][0]["audit_id"] < paged["items"][-1]["audit_id"]
    since = (datetime.now().astimezone() - timedelta(minutes=5)).isoformat()
    exported = await client.get("/api/v1/org/audit.csv", headers=owner, params={"action": "signin", "since": since})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert "signin" in {r["action"] for r in rows} <= {"signin", "signin.failed"}  # the action and its family
    # another organisation sees none of it
    b = bearer((await signed_in(client, OWNER_B))["access_token"])
    b_entries = (await client.get("/api/v1/org/audit", headers=b, params={"limit": 500})).json()["items"]
    assert all(e["actor"] != owner_session["user"]["user_id"] for e in b_entries)
    assert not any(e["action"] == "command.adspend.enter" for e in b_entries)
