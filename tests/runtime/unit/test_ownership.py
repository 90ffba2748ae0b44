"""The ownership rule shared by every write path: pure judgements over what a command names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from livestudio_runtime import ownership
from livestudio_schemas.commands import (
    AccountPause,
    CallerScope,
    HostCheckIn,
    PayRuleUpsert,
    ScheduleEntryRemove,
    ScheduleEntryUpsert,
    ShiftTemplateUpsert,
    TargetRemove,
    TargetSet,
)

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
B = CallerScope(studio_id="b", role="manager")
SHIFT = ShiftTemplateUpsert(shift_id="pagi", studio_id="b", name="Pagi", start="05:00", end="10:00")


def test_an_id_of_another_studio_is_refused_like_a_missing_one() -> None:
    with pytest.raises(ownership.NotFound) as elsewhere:
        ownership.check(ScheduleEntryRemove(entry_id="e1"), B, {("schedule entry", "e1"): "a"})
    with pytest.raises(ownership.NotFound) as missing:
        ownership.check(ScheduleEntryRemove(entry_id="e1"), B, {})
    assert str(elsewhere.value) == str(missing.value) == "schedule entry 'e1' not found in studio 'b'"


def test_creates_take_free_ids_and_never_move_taken_ones() -> None:
    assert ownership.check(SHIFT, B, {}) == "b"
    assert ownership.check(SHIFT, B, {("shift", "pagi"): "b"}) == "b"
    with pytest.raises(ownership.NotFound, match="shift 'pagi' not found in studio 'b'"):
        ownership.check(SHIFT, B, {("shift", "pagi"): "a"})
    with pytest.raises(ownership.NotFound):  # no scope (an operator's command): still never moves
        ownership.check(SHIFT, None, {("shift", "pagi"): "a"})


def test_references_may_be_unknown_to_consumers_but_not_to_the_gateway() -> None:
    entry = ScheduleEntryUpsert(entry_id="e9", studio_id="b", host_id="h9", account_id="acc9", share=1)
    assert ownership.check(entry, B, {}) == "b"
    with pytest.raises(ownership.NotFound, match="host 'h9'"):
        ownership.check(entry, B, {}, strict=True)
    with pytest.raises(ownership.NotFound, match="account 'acc9'"):
        ownership.check(entry, B, {("host", "h9"): "b", ("account", "acc9"): "a"})


def test_the_scope_bounds_the_studio_and_the_role() -> None:
    with pytest.raises(ownership.NotFound, match="studio 'a' not found in studio 'b'"):
        ownership.check(ShiftTemplateUpsert(shift_id="s", studio_id="a", name="x", start="01:00", end="02:00"), B, {})
    host = CallerScope(studio_id="b", role="host", host_id="h1")
    with pytest.raises(ownership.NotAllowed):
        ownership.check(SHIFT, host, {})
    with pytest.raises(ownership.NotAllowed):
        ownership.check(HostCheckIn(host_id="h2", account_id="acc", at=NOW), host, {("host", "h2"): "b"})
    assert ownership.check(HostCheckIn(host_id="h1", account_id="acc", at=NOW), host, {("host", "h1"): "b"}) == "b"
    rule = PayRuleUpsert(rule_id="g", rule_kind="per_order", amount=1, effective_from="2026-12-01")
    with pytest.raises(ownership.NotAllowed):
        ownership.check(rule, CallerScope(studio_id=None, role="manager"), {})
    assert ownership.check(rule, CallerScope(studio_id=None, role="owner"), {("rule", "g"): ""}) == ""
    with pytest.raises(ownership.NotFound):  # a studio's rule cannot become global
        ownership.check(rule, CallerScope(studio_id=None, role="owner"), {("rule", "g"): "a"})
    with pytest.raises(ownership.NotFound):  # no studio anywhere and the target unknown: nothing to act on
        ownership.check(AccountPause(account_id="x"), CallerScope(studio_id="b", role="owner"), {("account", "x"): "a"})


def test_check_times_are_now_or_a_reasoned_correction_in_the_open_period() -> None:
    ownership.check_time(NOW + timedelta(minutes=4), NOW, correction_from=None, reason=None)
    with pytest.raises(ValueError, match="current time"):
        ownership.check_time(NOW - timedelta(hours=5), NOW, correction_from=None, reason="please")
    start = datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="reason"):
        ownership.check_time(NOW - timedelta(hours=5), NOW, correction_from=start, reason=" ")
    ownership.check_time(NOW - timedelta(hours=5), NOW, correction_from=start, reason="forgot")
    with pytest.raises(ValueError, match="open pay period"):
        ownership.check_time(start - timedelta(hours=1), NOW, correction_from=start, reason="forgot")
    with pytest.raises(ValueError, match="future"):
        ownership.check_time(NOW + timedelta(hours=1), NOW, correction_from=start, reason="forgot")


def test_removals_name_an_entity_that_must_exist_in_the_callers_studio() -> None:
    from livestudio_schemas.commands import HostRemove, PayRuleRemove, ShiftTemplateRemove, StudioRemove

    for command, entity, entity_id in (
        (StudioRemove(studio_id="b"), "studio", "b"),
        (HostRemove(host_id="h1", studio_id="b"), "host", "h1"),
        (ShiftTemplateRemove(shift_id="pagi", studio_id="b"), "shift", "pagi"),
        (PayRuleRemove(rule_id="r1"), "rule", "r1"),
    ):
        assert ownership.references(command) == [ownership.Ref(entity, entity_id, "exists")]  # type: ignore[arg-type]
        assert ownership.check(command, B, {(entity, entity_id): "b"}) == "b"
        with pytest.raises(ownership.NotFound):
            ownership.check(command, B, {(entity, entity_id): "a"})
        with pytest.raises(ownership.NotFound):
            ownership.check(command, B, {})
    with pytest.raises(ownership.NotFound):  # a manager never reaches a global rule
        ownership.check(PayRuleRemove(rule_id="g"), B, {("rule", "g"): ownership.GLOBAL})
    with pytest.raises(ownership.NotAllowed):
        ownership.check(
            HostRemove(host_id="h1", studio_id="b"), CallerScope(studio_id="b", role="host", host_id="h1"), {}
        )


def test_targets_name_only_entities_of_their_studio() -> None:
    host_target = TargetSet(studio_id="b", month="2026-11", scope="host", scope_id="h1", amount=1000)
    assert [(r.entity, r.id) for r in ownership.references(host_target)] == [("studio", "b"), ("host", "h1")]
    assert ownership.check(host_target, B, {}) == "b"  # the consumer: the host may arrive later
    with pytest.raises(ownership.NotFound, match="host 'h1' not found in studio 'b'"):
        ownership.check(host_target, B, {("studio", "b"): "b", ("host", "h1"): "a"})
    with pytest.raises(ownership.NotFound, match="host 'h1'"):
        ownership.check(host_target, B, {("studio", "b"): "b"}, strict=True)
    remove = TargetRemove(studio_id="b", month="2026-11", scope="account", scope_id="acc-a")
    with pytest.raises(ownership.NotFound, match="account 'acc-a' not found in studio 'b'"):
        ownership.check(remove, B, {("account", "acc-a"): "a"})
    with pytest.raises(ownership.NotFound, match="studio 'a' not found in studio 'b'"):
        ownership.check(TargetSet(studio_id="a", month="2026-11", scope="studio", scope_id="a", amount=1), B, {})
    with pytest.raises(ownership.NotAllowed):
        ownership.check(host_target, CallerScope(studio_id="b", role="host", host_id="h1"), {})
    with pytest.raises(ValueError, match="scope_id is its studio_id"):
        TargetSet(studio_id="b", month="2026-11", scope="studio", scope_id="c", amount=1)
    for month in ("2026-13", "1999-01", "2026-11\n"):
        with pytest.raises(ValueError):
            TargetSet(studio_id="b", month=month, scope="studio", scope_id="b", amount=1)
    for amount in (0, -1, "0.001", "1000000000000000.01"):
        with pytest.raises(ValueError):
            TargetSet(studio_id="b", month="2026-11", scope="studio", scope_id="b", amount=amount)
