"""Affiliate checkouts through the commission consumer (real broker, real PostgreSQL): a live checkout that arrives
before its session is unassigned, then goes to the host on air once the session is known; a cancellation re-read
reverses its commission; a redelivered or older observation changes nothing; a video checkout stays unassigned; a
roster change moves the checkouts it concerns."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import asyncpg

from livestudio_schemas.affiliate import AFFILIATE_CHECKOUT, AffiliateCheckout
from livestudio_schemas.envelope import CloudEvent, deterministic_event_id
from livestudio_schemas.topics import affiliate_key
from tests.commission.kit import Record, command, local, make_settings, produce, running, session_event, wait_settled
from tests.fixtures.infra import TopicFactory

DAY = date(2026, 3, 11)


def checkout(
    checkout_id: str, purchased: datetime, observed: datetime, *, status: str = "pending", source: str = "live"
) -> Record:
    cancelled = status == "cancelled"
    estimated = Decimal(0) if cancelled else Decimal("6170.5")
    payload = AffiliateCheckout(
        account_id="acc-f",
        studio_id="st-f",
        checkout_id=checkout_id,
        purchased_at=purchased,
        status=status,  # type: ignore[arg-type]
        source=source,  # type: ignore[arg-type]
        estimated_commission=estimated,
        estimated_commission_with_mcn=estimated,
        final_commission=Decimal(0) if cancelled else None,
        final_commission_with_mcn=Decimal(0) if cancelled else None,
        gmv=Decimal(123_410),
        observed_at=observed,
    )
    event = CloudEvent[AffiliateCheckout].wrap(
        payload,
        type_=AFFILIATE_CHECKOUT,
        source="/livestudio/ingest",
        time=observed,
        subject=checkout_id,
        id_=deterministic_event_id(checkout_id, status, observed.isoformat()),
    )
    return affiliate_key("acc-f", checkout_id), event.to_json_bytes()


async def income(pool: asyncpg.Pool, checkout_id: str) -> dict[tuple[str | None, int | None], Decimal]:
    rows = await pool.fetch(
        "SELECT host_id, session_id, estimated FROM affiliate_parts WHERE checkout_id = $1", checkout_id
    )
    return {(r["host_id"], r["session_id"]): r["estimated"] for r in rows}


async def test_checkouts_follow_sessions_roster_and_status(
    kafka_bootstrap: str, topic_factory: TopicFactory, fresh_db: str
) -> None:
    base = await make_settings(kafka_bootstrap, fresh_db, topic_factory)
    settings = base.model_copy(update={"affiliate_topic": await topic_factory("c-affiliate", partitions=2)})
    produced = {settings.commands_topic: 0, settings.session_topic: 0, settings.affiliate_topic: 0}
    now = datetime.now(UTC)

    async with running(settings) as service:

        async def send(topic: str, records: list[Record]) -> asyncpg.Pool:
            await produce(kafka_bootstrap, topic, records)
            produced[topic] += len(records)
            return await wait_settled(service, produced)

        await send(
            settings.commands_topic,
            [
                command(
                    {
                        "kind": "schedule.upsert",
                        "entry_id": "f1-main",
                        "studio_id": "st-f",
                        "host_id": "f1",
                        "account_id": "acc-f",
                        "starts_at": local(DAY, 10).isoformat(),
                        "ends_at": local(DAY, 12).isoformat(),
                    }
                )
            ],
        )
        bought = local(DAY, 11)
        pending = checkout("ck-1", bought, now)
        pool = await send(settings.affiliate_topic, [pending, checkout("ck-v", bought, now, source="video")])
        assert await income(pool, "ck-1") == {(None, None): Decimal("6170.5")}  # no session known yet

        await send(
            settings.session_topic,
            [
                session_event(
                    "snapshot", "acc-f", 8001, local(DAY, 10), local(DAY, 11, 30), placed=500, studio_id="st-f"
                ),
            ],
        )
        assert await income(pool, "ck-1") == {("f1", 8001): Decimal("6170.5")}
        assert await income(pool, "ck-v") == {(None, None): Decimal("6170.5")}

        later = now + timedelta(hours=6)
        await send(settings.affiliate_topic, [checkout("ck-1", bought, later, status="cancelled")])
        assert await income(pool, "ck-1") == {("f1", 8001): Decimal(0)}

        # the same cancellation again, and the old pending observation redelivered: nothing changes
        await send(settings.affiliate_topic, [checkout("ck-1", bought, later, status="cancelled"), pending])
        assert await income(pool, "ck-1") == {("f1", 8001): Decimal(0)}
        stored = await pool.fetchrow("SELECT status, observed_at FROM affiliate_checkouts WHERE checkout_id = 'ck-1'")
        assert stored is not None and stored["status"] == "cancelled" and stored["observed_at"] == later

        # a roster change re-attributes the checkouts it touches: f2 checks in as co-host 10:30-11:30
        await send(
            settings.commands_topic,
            [
                command(
                    {
                        "kind": "host.check_in",
                        "host_id": "f2",
                        "account_id": "acc-f",
                        "at": local(DAY, 10, 30).isoformat(),
                    }
                ),
                command(
                    {
                        "kind": "host.check_out",
                        "host_id": "f2",
                        "account_id": "acc-f",
                        "at": local(DAY, 11, 30).isoformat(),
                    }
                ),
            ],
        )
        await send(settings.affiliate_topic, [checkout("ck-2", bought, later)])
        assert await income(pool, "ck-2") == {("f1", 8001): Decimal("3085.25"), ("f2", 8001): Decimal("3085.25")}

        # bought at 11:50, after the end (11:40) the session reports later: still its (a replay), and f1's
        await send(settings.affiliate_topic, [checkout("ck-3", local(DAY, 11, 50), later)])
        assert await income(pool, "ck-3") == {("f1", 8001): Decimal("6170.5")}
        await send(
            settings.session_topic,
            [
                session_event(
                    "ended",
                    "acc-f",
                    8001,
                    local(DAY, 10),
                    local(DAY, 11, 45),
                    placed=500,
                    ended_at=local(DAY, 11, 40),
                    studio_id="st-f",
                )
            ],
        )
        assert await income(pool, "ck-3") == {("f1", 8001): Decimal("6170.5")}
        assert await income(pool, "ck-2") == {("f1", 8001): Decimal("3085.25"), ("f2", 8001): Decimal("3085.25")}
