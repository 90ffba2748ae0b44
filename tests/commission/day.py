"""A simulated studio day with hand-computed expectations (times are Asia/Jakarta, Monday 2026-03-02).

Roster: 6 hosts over 3 accounts and 4 shifts (morning 05-10, day 10-15, evening 15-20, night 20-24).

| entry | host | account | shift | share |
|---|---|---|---|---|
| e1 | h1 | acc-a | morning | 1 |
| e2 | h2 | acc-a | day | 1 |
| e3 | h3 | acc-b | day | 3 (co-host) |
| e4 | h4 | acc-b | day | 1 (co-host) |
| e5 | h5 | acc-c | evening | 1 |
| e6 | h6 (leader) | acc-c | night | 1 |

Sessions (cumulative placed GMV / orders ; confirmed GMV / orders):

* S1 acc-a #1001, 09:00-11:00, spans morning (h1) and day (h2).
  09:30 1,000,000/10 ; 800,000/8 -> (09:00, 09:30] all h1
  10:00 2,500,000/25 ; 2,000,000/20 -> +1.5 M all h1
  10:30 3,000,000/30 ; 2,400,000/24 -> +0.5 M all h2
  ended 11:00: 4,200,000/42 ; 3,360,000/34 -> +1.2 M all h2
  corrected next day: confirmed 3,780,000/38 -> +420,000/+4 by placed share 2.5 : 1.7
  = h1 +250,000/+2 (2.38 orders), h2 +170,000/+2 (1.62: the larger remainder takes the spare order)
  h1: placed 2,500,000/25, confirmed 2,250,000/22 ; h2: placed 1,700,000/17, confirmed 1,530,000/16.
* S2 acc-b #2001, 11:00-13:00, co-hosted h3 : h4 = 3 : 1.
  12:00 2,000,000/20 ; 1,600,000/16 -> 1,500,000/15 : 500,000/5 ; 1,200,000/12 : 400,000/4
  ended 13:00 4,000,002/41 ; 3,200,000/32 -> +2,000,002 = 1,500,001.5 : 500,000.5, tie -> h3 (first)
  = 1,500,002 : 500,000 ; orders +21 = 15.75 : 5.25 -> 16 : 5 ; confirmed +1,600,000/+16 as before
  18:00 off-air snapshot (after the end): confirmed 3,400,000/34 -> +200,000/+2 by placed share
  3,000,002 : 1,000,000 = 150,000.025 : 49,999.975 -> 150,000 : 50,000 (h4 has the larger remainder);
  orders 1.50000025 : 0.49999975 -> 2 : 0 (h3 has the larger remainder).
  h3: placed 3,000,002/31, confirmed 2,550,000/26 ; h4: placed 1,000,000/10, confirmed 850,000/8.
* S3 acc-c #3001, 14:00-16:00: 14:00-15:00 is nobody's (unrostered hour), 15:00-16:00 is h5 (evening).
  14:30 500,000/5 ; 400,000/4 -> unassigned
  15:30 1,700,001/17 ; 1,360,000/13 -> (14:30, 15:30] half unassigned, half h5: +1,200,001 = 600,000.5
  each, tie -> unassigned (sorts first) 600,001, h5 600,000 ; orders 6/6 ; confirmed 480,000 each, orders
  4.5/4.5 -> unassigned 5, h5 4
  ended 16:00 2,000,001/20 ; 1,600,000/16 -> all h5
  unassigned: placed 1,100,001/11, confirmed 880,000/9 ; h5: placed 900,000/9, confirmed 720,000/7.
* S4 acc-c #3002, 20:00-22:00, h6 (leader), confirmed not reported until the end, settles next day.
  21:00 3,000,000/30 ; confirmed unknown
  ended 22:00 6,000,000/60 ; 4,000,000/40
  corrected next day: 5,000,000/50 -> all h6 (the only placed share)
  h6: placed 6,000,000/60, confirmed 5,000,000/50.

Pay rules (studio st1 unless said):

* R1 gmv_percent tiers: 2% of confirmed GMV up to Rp 2 M per period, 3% above
* R2 account acc-b: 5% of placed GMV (account beats studio)
* R3 role leader: 4% of confirmed GMV, threshold Rp 1 M, cap Rp 150,000 (role beats all roles)
* R4 Rp 1,000 per confirmed order, night shift only
* R5 global: Rp 20,000 per on-air hour

Pay for March 2026:

* h1: R1 2% x 2,000,000 + 3% x 250,000 = 47,500 ; R5 1 h = 20,000 -> 67,500
* h2: R1 2% x 1,530,000 = 30,600 ; R5 20,000 -> 50,600
* h3: R2 5% x 3,000,002 = 150,000.10 -> 150,000 ; R5 2 h = 40,000 -> 190,000
* h4: R2 5% x 1,000,000 = 50,000 ; R5 40,000 -> 90,000
* h5: R1 2% x 720,000 = 14,400 ; R5 20,000 -> 34,400
* h6: R3 4% x 5,000,000 = 200,000 capped 150,000 ; R4 50 x 1,000 = 50,000 ; R5 40,000 -> 240,000
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from tests.commission.kit import Record, command, local, session_event

DAY = date(2026, 3, 2)
NEXT = date(2026, 3, 3)

HOSTS = {"h1": "host", "h2": "host", "h3": "host", "h4": "host", "h5": "host", "h6": "leader"}
SHIFTS = {
    "morning": ("05:00", "10:00"),
    "day": ("10:00", "15:00"),
    "evening": ("15:00", "20:00"),
    "night": ("20:00", "00:00"),
}
ENTRIES = [
    ("e1", "h1", "acc-a", "morning", "1"),
    ("e2", "h2", "acc-a", "day", "1"),
    ("e3", "h3", "acc-b", "day", "3"),
    ("e4", "h4", "acc-b", "day", "1"),
    ("e5", "h5", "acc-c", "evening", "1"),
    ("e6", "h6", "acc-c", "night", "1"),
]
RULES: list[dict[str, Any]] = [
    {
        "rule_id": "R1",
        "studio_id": "st1",
        "rule_kind": "gmv_percent",
        "tiers": [{"up_to": "2000000", "percent": "2"}, {"up_to": None, "percent": "3"}],
    },
    {
        "rule_id": "R2",
        "studio_id": "st1",
        "account_id": "acc-b",
        "rule_kind": "gmv_percent",
        "basis": "placed",
        "percent": "5",
    },
    {
        "rule_id": "R3",
        "studio_id": "st1",
        "role": "leader",
        "rule_kind": "gmv_percent",
        "percent": "4",
        "min_threshold": "1000000",
        "cap": "150000",
    },
    {"rule_id": "R4", "studio_id": "st1", "rule_kind": "per_order", "amount": "1000", "shift_id": "night"},
    {"rule_id": "R5", "rule_kind": "per_hour", "amount": "20000"},
]


def roster_commands() -> list[Record]:
    out = [command({"kind": "studio.upsert", "studio_id": "st1", "name": "Studio One"}, command_id="day-studio")]
    for host, role in HOSTS.items():
        out.append(
            command(
                {"kind": "host.upsert", "host_id": host, "studio_id": "st1", "name": host.upper(), "role": role},
                command_id=f"day-host-{host}",
            )
        )
    for shift, (start, end) in SHIFTS.items():
        out.append(
            command(
                {
                    "kind": "shift.upsert",
                    "shift_id": shift,
                    "studio_id": "st1",
                    "name": shift,
                    "start": start,
                    "end": end,
                },
                command_id=f"day-shift-{shift}",
            )
        )
    for entry_id, host, account, shift, share in ENTRIES:
        out.append(
            command(
                {
                    "kind": "schedule.upsert",
                    "entry_id": entry_id,
                    "studio_id": "st1",
                    "host_id": host,
                    "account_id": account,
                    "shift_id": shift,
                    "shift_date": DAY.isoformat(),
                    "share": share,
                },
                command_id=f"day-entry-{entry_id}",
            )
        )
    for rule in RULES:
        out.append(
            command(
                {"kind": "rule.upsert", "effective_from": "2026-01-01", **rule},
                command_id=f"day-rule-{rule['rule_id']}",
            )
        )
    return out


def session_records() -> list[Record]:
    s1, s2, s3, s4 = local(DAY, 9), local(DAY, 11), local(DAY, 14), local(DAY, 20)
    return [
        session_event(
            "snapshot",
            "acc-a",
            1001,
            s1,
            local(DAY, 9, 30),
            placed=1_000_000,
            placed_orders=10,
            confirmed=800_000,
            confirmed_orders=8,
        ),
        session_event(
            "snapshot",
            "acc-a",
            1001,
            s1,
            local(DAY, 10),
            placed=2_500_000,
            placed_orders=25,
            confirmed=2_000_000,
            confirmed_orders=20,
        ),
        session_event(
            "snapshot",
            "acc-a",
            1001,
            s1,
            local(DAY, 10, 30),
            placed=3_000_000,
            placed_orders=30,
            confirmed=2_400_000,
            confirmed_orders=24,
        ),
        session_event(
            "ended",
            "acc-a",
            1001,
            s1,
            local(DAY, 11),
            placed=4_200_000,
            placed_orders=42,
            confirmed=3_360_000,
            confirmed_orders=34,
            ended_at=local(DAY, 11),
        ),
        session_event(
            "corrected",
            "acc-a",
            1001,
            s1,
            local(NEXT, 12),
            placed=4_200_000,
            placed_orders=42,
            confirmed=3_780_000,
            confirmed_orders=38,
            ended_at=local(DAY, 11),
        ),
        session_event(
            "snapshot",
            "acc-b",
            2001,
            s2,
            local(DAY, 12),
            placed=2_000_000,
            placed_orders=20,
            confirmed=1_600_000,
            confirmed_orders=16,
        ),
        session_event(
            "ended",
            "acc-b",
            2001,
            s2,
            local(DAY, 13),
            placed=4_000_002,
            placed_orders=41,
            confirmed=3_200_000,
            confirmed_orders=32,
            ended_at=local(DAY, 13),
        ),
        session_event(
            "snapshot",
            "acc-b",
            2001,
            s2,
            local(DAY, 18),
            placed=4_000_002,
            placed_orders=41,
            confirmed=3_400_000,
            confirmed_orders=34,
            on_air=False,
        ),
        session_event(
            "snapshot",
            "acc-c",
            3001,
            s3,
            local(DAY, 14, 30),
            placed=500_000,
            placed_orders=5,
            confirmed=400_000,
            confirmed_orders=4,
        ),
        session_event(
            "snapshot",
            "acc-c",
            3001,
            s3,
            local(DAY, 15, 30),
            placed=1_700_001,
            placed_orders=17,
            confirmed=1_360_000,
            confirmed_orders=13,
        ),
        session_event(
            "ended",
            "acc-c",
            3001,
            s3,
            local(DAY, 16),
            placed=2_000_001,
            placed_orders=20,
            confirmed=1_600_000,
            confirmed_orders=16,
            ended_at=local(DAY, 16),
        ),
        session_event("snapshot", "acc-c", 3002, s4, local(DAY, 21), placed=3_000_000, placed_orders=30),
        session_event(
            "ended",
            "acc-c",
            3002,
            s4,
            local(DAY, 22),
            placed=6_000_000,
            placed_orders=60,
            confirmed=4_000_000,
            confirmed_orders=40,
            ended_at=local(DAY, 22),
        ),
        session_event(
            "corrected",
            "acc-c",
            3002,
            s4,
            local(NEXT, 10),
            placed=6_000_000,
            placed_orders=60,
            confirmed=5_000_000,
            confirmed_orders=50,
            ended_at=local(DAY, 22),
        ),
    ]


# (host or None, session) -> placed_sales, placed_orders, confirmed_sales, confirmed_orders, on_air_ms
EXPECTED_ATTRIBUTION: dict[tuple[str | None, int], tuple[int, int, int, int, int]] = {
    ("h1", 1001): (2_500_000, 25, 2_250_000, 22, 3_600_000),
    ("h2", 1001): (1_700_000, 17, 1_530_000, 16, 3_600_000),
    ("h3", 2001): (3_000_002, 31, 2_550_000, 26, 7_200_000),
    ("h4", 2001): (1_000_000, 10, 850_000, 8, 7_200_000),
    (None, 3001): (1_100_001, 11, 880_000, 9, 3_600_000),
    ("h5", 3001): (900_000, 9, 720_000, 7, 3_600_000),
    ("h6", 3002): (6_000_000, 60, 5_000_000, 50, 7_200_000),
}
SESSION_TOTALS = {
    1001: (4_200_000, 42, 3_780_000, 38),
    2001: (4_000_002, 41, 3_400_000, 34),
    3001: (2_000_001, 20, 1_600_000, 16),
    3002: (6_000_000, 60, 5_000_000, 50),
}
# host -> (total, {rule: (base, amount)})
EXPECTED_PAY: dict[str, tuple[int, dict[str, tuple[Decimal, int]]]] = {
    "h1": (67_500, {"R1": (Decimal(2_250_000), 47_500), "R5": (Decimal(1), 20_000)}),
    "h2": (50_600, {"R1": (Decimal(1_530_000), 30_600), "R5": (Decimal(1), 20_000)}),
    "h3": (190_000, {"R2": (Decimal(3_000_002), 150_000), "R5": (Decimal(2), 40_000)}),
    "h4": (90_000, {"R2": (Decimal(1_000_000), 50_000), "R5": (Decimal(2), 40_000)}),
    "h5": (34_400, {"R1": (Decimal(720_000), 14_400), "R5": (Decimal(1), 20_000)}),
    "h6": (240_000, {"R3": (Decimal(5_000_000), 150_000), "R4": (Decimal(50), 50_000), "R5": (Decimal(2), 40_000)}),
}
