"""When pipeline schedules fire (pure functions, no server): interval and
6-field cron triggers in UTC, the due periods between two instants, catch-up
on and off, max concurrency slots and the end time."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

from jupyter_easymaker.areas.pipeline_schedules import clock
from jupyter_easymaker.areas.pipeline_schedules.timing import (
    FIVE_FIELD_HINT,
    TriggerError,
    check_cron,
    count_between,
    describe,
    fire_times,
    latest_fire,
    next_fire,
    plan,
)

UTC = timezone.utc


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def interval(every: int, unit: str) -> dict:
    return {"type": "interval", "every": every, "unit": unit}


def cron(expression: str) -> dict:
    return {"type": "cron", "expression": check_cron(expression)}


# -- cron expressions ----------------------------------------------------------------------
@pytest.mark.parametrize("expression", ["0 */5 * * * *", "*/15 * * * * *", "0 0 12 ? * MON", "0 0 0 L * *",
                                        "0 30 9 * * 1-5", "0 0 0 1 JAN-MAR *", "@hourly", "@daily"])
def test_valid_six_field_expressions(expression):
    want = expression.lower() if expression.startswith("@") else expression
    assert check_cron(expression) == want
    assert next_fire({"type": "cron", "expression": want}, at(2026, 1, 1)) > at(2026, 1, 1)


def test_a_five_field_expression_gets_the_hint():
    with pytest.raises(TriggerError) as err:
        check_cron("*/5 * * * *")
    assert FIVE_FIELD_HINT in str(err.value) and "'0 */5 * * * *'" in str(err.value)
    assert "5 fields" in str(err.value)


@pytest.mark.parametrize("expression, words", [
    ("", "required"),
    ("0 0 0 * * * 2026", "7 fields"),
    ("0", "1 fields"),
    ("0 60 * * * *", "out of range"),
    ("0 0 0 * * 8", "out of range"),
    ("a b c d e f", "not a valid cron expression"),
    ("0 0 0 30 2 *", "never matches"),
    ("@every 5m", "is not one of"),
])
def test_invalid_expressions_say_why(expression, words):
    with pytest.raises(TriggerError) as err:
        check_cron(expression)
    assert words in str(err.value), str(err.value)
    # croniter's own message shows the fields moved around; ours shows what was written
    if expression == "a b c d e f":
        assert "'a b c d e f'" in str(err.value) and "[b c d e f a]" not in str(err.value)


def test_extra_spaces_are_normalised():
    assert check_cron("  0  */5 *   * * * ") == "0 */5 * * * *"


def test_describe():
    assert describe(interval(1, "hours")) == "every 1 hour"
    assert describe(interval(5, "minutes")) == "every 5 minutes"
    assert describe(cron("0 0 * * * *")) == "cron '0 0 * * * *'"


# -- interval triggers ------------------------------------------------------------------------
@pytest.mark.parametrize("unit, step", [("minutes", timedelta(minutes=7)), ("hours", timedelta(hours=7)),
                                        ("days", timedelta(days=7)), ("weeks", timedelta(weeks=7))])
def test_interval_fires_at_anchor_plus_multiples(unit, step):
    anchor = at(2026, 3, 28, 23, 30, 15)
    times = fire_times(interval(7, unit), anchor, None, anchor + 10 * step, 100)
    assert times == [anchor + k * step for k in range(1, 11)]


def test_interval_is_fixed_length_in_utc_across_european_and_american_dst_changes():
    # 2026-03-29 (EU) and 2026-03-08 / 2026-11-01 (US) move local clocks, never UTC
    anchor = at(2026, 3, 7, 12)
    times = fire_times(interval(1, "days"), anchor, None, at(2026, 11, 3, 12), 1000)
    assert all(b - a == timedelta(hours=24) for a, b in zip(times, times[1:]))
    assert all(t.hour == 12 and t.minute == 0 for t in times)
    assert times[0] == at(2026, 3, 8, 12) and times[-1] == at(2026, 11, 3, 12)


def test_interval_first_fire_is_one_period_after_the_anchor_not_the_anchor():
    anchor = at(2026, 1, 1)
    assert next_fire(interval(1, "hours"), anchor) == at(2026, 1, 1, 1)
    assert next_fire(interval(1, "hours"), anchor, at(2025, 1, 1)) == at(2026, 1, 1, 1)  # never before the anchor


def test_interval_next_and_latest_are_aligned_to_the_anchor():
    anchor = at(2026, 1, 1, 0, 0, 10)
    trig = interval(15, "minutes")
    assert next_fire(trig, anchor, at(2026, 1, 1, 0, 15, 10)) == at(2026, 1, 1, 0, 30, 10)  # strictly after
    assert next_fire(trig, anchor, at(2026, 1, 1, 0, 15, 9)) == at(2026, 1, 1, 0, 15, 10)
    assert latest_fire(trig, anchor, at(2026, 1, 1, 0, 44, 59)) == at(2026, 1, 1, 0, 30, 10)
    assert latest_fire(trig, anchor, at(2026, 1, 1, 0, 45, 10)) == at(2026, 1, 1, 0, 45, 10)  # inclusive
    assert latest_fire(trig, anchor, at(2026, 1, 1, 0, 15, 9)) is None
    assert latest_fire(trig, anchor, anchor) is None


def test_interval_over_month_ends_and_leap_day():
    anchor = at(2028, 1, 31, 6)
    times = fire_times(interval(1, "weeks"), anchor, None, at(2028, 3, 10), 100)
    assert at(2028, 2, 28, 6) in times and at(2028, 3, 6, 6) in times
    days = fire_times(interval(1, "days"), at(2028, 2, 27), None, at(2028, 3, 2), 100)
    assert days == [at(2028, 2, 28), at(2028, 2, 29), at(2028, 3, 1), at(2028, 3, 2)]


def test_fire_times_bounds_and_limit():
    trig, anchor = interval(1, "minutes"), at(2026, 1, 1)
    assert fire_times(trig, anchor, at(2026, 1, 1, 0, 2), at(2026, 1, 1, 0, 5), 100) == [
        at(2026, 1, 1, 0, 3), at(2026, 1, 1, 0, 4), at(2026, 1, 1, 0, 5)]
    assert fire_times(trig, anchor, None, at(2026, 1, 1, 0, 5), 2) == [at(2026, 1, 1, 0, 1), at(2026, 1, 1, 0, 2)]
    assert fire_times(trig, anchor, None, at(2026, 1, 1, 0, 5), 0) == []
    assert fire_times(trig, anchor, at(2026, 1, 1, 0, 5), at(2026, 1, 1, 0, 5), 10) == []
    # a year of minutes is not enumerated: the limit stops it
    assert len(fire_times(trig, anchor, None, at(2027, 1, 1), 10)) == 10


def test_naive_times_are_utc():
    naive = datetime(2026, 1, 1)
    assert next_fire(interval(1, "hours"), naive) == at(2026, 1, 1, 1)


def test_times_with_other_offsets_are_converted_to_utc():
    seoul = timezone(timedelta(hours=9))
    anchor = datetime(2026, 1, 1, 9, tzinfo=seoul)  # 00:00 UTC
    assert next_fire(interval(1, "hours"), anchor) == at(2026, 1, 1, 1)
    assert next_fire(cron("0 0 0 * * *"), anchor) == at(2026, 1, 2)


@pytest.mark.parametrize("trigger", [{"type": "interval", "every": 0, "unit": "hours"},
                                     {"type": "interval", "every": 1, "unit": "months"},
                                     {"type": "interval", "every": True, "unit": "hours"}])
def test_bad_interval_is_refused(trigger):
    with pytest.raises(TriggerError):
        next_fire(trigger, at(2026, 1, 1))


# -- cron triggers --------------------------------------------------------------------------
def test_cron_seconds_come_first():
    times = fire_times(cron("30 */10 * * * *"), at(2026, 5, 1), None, at(2026, 5, 1, 0, 30), 100)
    assert times == [at(2026, 5, 1, 0, 0, 30), at(2026, 5, 1, 0, 10, 30), at(2026, 5, 1, 0, 20, 30)]


def test_cron_fires_strictly_after_the_anchor():
    trig = cron("0 0 * * * *")
    assert next_fire(trig, at(2026, 5, 1, 3)) == at(2026, 5, 1, 4)
    assert fire_times(trig, at(2026, 5, 1, 3), None, at(2026, 5, 1, 3), 10) == []


def test_cron_on_the_31st_skips_short_months():
    times = fire_times(cron("0 0 0 31 * *"), at(2026, 1, 1), None, at(2026, 12, 31, 23), 100)
    assert [t.month for t in times] == [1, 3, 5, 7, 8, 10, 12]


def test_cron_last_day_of_month_and_leap_years():
    times = fire_times(cron("0 0 0 L * *"), at(2027, 12, 15), None, at(2028, 4, 1), 100)
    assert times == [at(2027, 12, 31), at(2028, 1, 31), at(2028, 2, 29), at(2028, 3, 31)]
    feb29 = fire_times(cron("0 0 0 29 2 *"), at(2025, 1, 1), None, at(2033, 1, 1), 100)
    assert feb29 == [at(2028, 2, 29), at(2032, 2, 29)]


def test_cron_is_dst_free_in_utc():
    # 02:30 every day exists every day in UTC (it does not on a local spring-forward day)
    times = fire_times(cron("0 30 2 * * *"), at(2026, 3, 27), None, at(2026, 3, 31), 100)
    assert times == [at(2026, 3, d, 2, 30) for d in (27, 28, 29, 30)]


def test_cron_latest_fire_is_inclusive_and_whole_seconds():
    trig = cron("0 0 0 L * *")
    assert latest_fire(trig, at(2026, 1, 1), at(2026, 3, 1)) == at(2026, 2, 28)
    assert latest_fire(trig, at(2026, 1, 1), at(2026, 2, 28)) == at(2026, 2, 28)  # exactly on a match
    assert latest_fire(trig, at(2026, 1, 1), at(2026, 2, 28, 0, 0, 0) + timedelta(microseconds=500)) == at(2026, 2, 28)
    assert latest_fire(trig, at(2026, 1, 1), at(2026, 1, 30)) is None
    assert latest_fire(trig, at(2026, 2, 28), at(2026, 3, 1)) is None  # not after the anchor
    every_second = cron("* * * * * *")
    assert latest_fire(every_second, at(2026, 1, 1), at(2026, 1, 1, 0, 0, 5, 999999)) == at(2026, 1, 1, 0, 0, 5)


def test_cron_weekday_and_descriptor():
    weekdays = fire_times(cron("0 30 9 * * 1-5"), at(2026, 6, 5), None, at(2026, 6, 13), 100)  # 5 June 2026: Friday
    assert [t.day for t in weekdays] == [5, 8, 9, 10, 11, 12]
    assert next_fire(cron("@hourly"), at(2026, 6, 5, 9, 59, 59)) == at(2026, 6, 5, 10)


def test_count_between():
    trig = interval(10, "minutes")
    anchor = at(2026, 1, 1)
    assert count_between(trig, anchor, at(2026, 1, 1, 0, 10), at(2026, 1, 1, 1)) == 4  # 20, 30, 40, 50
    assert count_between(trig, anchor, None, at(2026, 1, 1, 0, 10)) == 0
    assert count_between(trig, anchor, at(2026, 1, 1, 0, 5), at(2026, 1, 1, 0, 10, 1)) == 1
    assert count_between(cron("0 */10 * * * *"), anchor, at(2026, 1, 1, 0, 10), at(2026, 1, 1, 1)) == 4
    assert count_between(cron("* * * * * *"), anchor, None, at(2026, 2, 1), cap=50) == 50


# -- plans: catch-up, slots, the end time -------------------------------------------------------
HOURLY = interval(1, "hours")
ANCHOR = at(2026, 1, 1)


def test_nothing_due_before_the_first_period():
    p = plan(HOURLY, anchor=ANCHOR, last=None, now=at(2026, 1, 1, 0, 59), end_at=None, catch_up=True, slots=1)
    assert p.due == () and not p.expired and p.next_at == at(2026, 1, 1, 1)


def test_catch_up_runs_every_missed_period_oldest_first():
    p = plan(HOURLY, anchor=ANCHOR, last=at(2026, 1, 1, 2), now=at(2026, 1, 1, 5, 30), end_at=None, catch_up=True, slots=10)
    assert p.due == (at(2026, 1, 1, 3), at(2026, 1, 1, 4), at(2026, 1, 1, 5))
    assert p.skipped == 0 and p.next_at == at(2026, 1, 1, 6)


def test_catch_up_respects_slots_and_the_rest_wait_in_order():
    last, started = None, []
    now = at(2026, 1, 1, 5, 30)
    for slots in (2, 0, 1, 3):
        p = plan(HOURLY, anchor=ANCHOR, last=last, now=now, end_at=None, catch_up=True, slots=slots)
        assert len(p.due) == min(slots, 5 - len(started))
        started += p.due
        last = started[-1] if started else None
    assert started == [at(2026, 1, 1, h) for h in range(1, 6)]  # every period once, in order


def test_catch_up_off_runs_only_the_latest_and_counts_the_skipped():
    p = plan(HOURLY, anchor=ANCHOR, last=at(2026, 1, 1, 1), now=at(2026, 1, 1, 5, 30), end_at=None, catch_up=False, slots=3)
    assert p.due == (at(2026, 1, 1, 5),) and p.skipped == 3 and p.next_at == at(2026, 1, 1, 6)
    again = plan(HOURLY, anchor=ANCHOR, last=at(2026, 1, 1, 5), now=at(2026, 1, 1, 5, 59), end_at=None, catch_up=False, slots=3)
    assert again.due == ()


def test_catch_up_off_waits_for_a_slot_then_runs_the_latest_period():
    busy = plan(HOURLY, anchor=ANCHOR, last=at(2026, 1, 1, 1), now=at(2026, 1, 1, 2, 30), end_at=None, catch_up=False, slots=0)
    assert busy.due == ()
    later = plan(HOURLY, anchor=ANCHOR, last=at(2026, 1, 1, 1), now=at(2026, 1, 1, 4, 10), end_at=None, catch_up=False, slots=1)
    assert later.due == (at(2026, 1, 1, 4),) and later.skipped == 2


def test_start_time_in_the_past_with_catch_up_backfills_from_it():
    p = plan(interval(1, "days"), anchor=at(2026, 1, 1), last=None, now=at(2026, 1, 4, 12), end_at=None, catch_up=True, slots=10)
    assert p.due == (at(2026, 1, 2), at(2026, 1, 3), at(2026, 1, 4))


def test_end_time_stops_periods_and_expires():
    end = at(2026, 1, 1, 3)
    before = plan(HOURLY, anchor=ANCHOR, last=at(2026, 1, 1, 2), now=at(2026, 1, 1, 2, 30), end_at=end, catch_up=True, slots=1)
    assert before.due == () and not before.expired and before.next_at == at(2026, 1, 1, 3)
    # the period exactly at the end time still runs; then the schedule has expired
    last = plan(HOURLY, anchor=ANCHOR, last=at(2026, 1, 1, 2), now=at(2026, 1, 1, 7), end_at=end, catch_up=True, slots=5)
    assert last.due == (at(2026, 1, 1, 3),) and last.expired and last.next_at is None
    done = plan(HOURLY, anchor=ANCHOR, last=at(2026, 1, 1, 3), now=at(2026, 1, 1, 7), end_at=end, catch_up=True, slots=5)
    assert done.due == () and done.expired


def test_past_the_end_a_waiting_catch_up_period_keeps_the_schedule_going():
    end = at(2026, 1, 1, 3, 30)
    waiting = plan(HOURLY, anchor=ANCHOR, last=at(2026, 1, 1, 1), now=at(2026, 1, 1, 9), end_at=end, catch_up=True, slots=0)
    assert waiting.due == () and not waiting.expired
    one = plan(HOURLY, anchor=ANCHOR, last=at(2026, 1, 1, 1), now=at(2026, 1, 1, 9), end_at=end, catch_up=True, slots=1)
    assert one.due == (at(2026, 1, 1, 2),) and not one.expired
    two = plan(HOURLY, anchor=ANCHOR, last=at(2026, 1, 1, 2), now=at(2026, 1, 1, 9), end_at=end, catch_up=True, slots=1)
    assert two.due == (at(2026, 1, 1, 3),) and two.expired


def test_past_the_end_without_catch_up_runs_the_last_period_before_the_end():
    end = at(2026, 1, 1, 3, 30)
    p = plan(HOURLY, anchor=ANCHOR, last=at(2026, 1, 1, 1), now=at(2026, 1, 1, 9), end_at=end, catch_up=False, slots=1)
    assert p.due == (at(2026, 1, 1, 3),) and p.expired and p.skipped == 1
    busy = plan(HOURLY, anchor=ANCHOR, last=at(2026, 1, 1, 1), now=at(2026, 1, 1, 9), end_at=end, catch_up=False, slots=0)
    assert busy.due == () and not busy.expired


def test_an_end_before_the_first_period_expires_at_once():
    p = plan(HOURLY, anchor=ANCHOR, last=None, now=at(2026, 1, 1, 0, 45), end_at=at(2026, 1, 1, 0, 30), catch_up=True, slots=1)
    assert p.due == () and p.expired and p.next_at is None


def test_cron_plan_over_a_month_end():
    trig = cron("0 0 0 L * *")
    p = plan(trig, anchor=at(2026, 1, 15), last=None, now=at(2026, 4, 2), end_at=None, catch_up=True, slots=10)
    assert p.due == (at(2026, 1, 31), at(2026, 2, 28), at(2026, 3, 31)) and p.next_at == at(2026, 4, 30)
    off = plan(trig, anchor=at(2026, 1, 15), last=None, now=at(2026, 4, 2), end_at=None, catch_up=False, slots=10)
    assert off.due == (at(2026, 3, 31),) and off.skipped == 2


def test_a_restart_replays_nothing_twice():
    """A pass recomputed from the stored last period (what survives a restart) starts the
    same periods an uninterrupted sequence of passes would, each once."""
    trig = interval(5, "minutes")
    uninterrupted, last = [], None
    for minute in range(0, 61, 3):
        p = plan(trig, anchor=ANCHOR, last=last, now=ANCHOR + timedelta(minutes=minute), end_at=None, catch_up=True, slots=2)
        uninterrupted += p.due
        last = uninterrupted[-1] if uninterrupted else last
    # the same hour with the server down between minute 12 and 40
    resumed, last = [], None
    for minute in [*range(0, 13, 3), 40, 43, 46, 49, 52, 55, 58, 60, 61, 62, 63]:
        p = plan(trig, anchor=ANCHOR, last=last, now=ANCHOR + timedelta(minutes=minute), end_at=None, catch_up=True, slots=2)
        resumed += p.due
        last = resumed[-1] if resumed else last
    assert resumed == uninterrupted[:len(resumed)]
    assert len(set(resumed)) == len(resumed) and resumed == sorted(resumed)
    assert resumed[-1] == ANCHOR + timedelta(minutes=60)


# -- the clock ---------------------------------------------------------------------------------
def test_clock_reads_the_file_each_time(tmp_path):
    path = tmp_path / "now.txt"
    path.write_text("2026-07-01T10:00:00Z\n")
    assert clock.now(str(path)) == at(2026, 7, 1, 10)
    path.write_text("2026-07-01T19:00:00+09:00")
    assert clock.now(str(path)) == at(2026, 7, 1, 10)
    path.write_text("2026-07-02T00:00:00")  # no offset: UTC
    assert clock.now(str(path)) == at(2026, 7, 2)


def test_clock_without_a_file_is_the_real_utc_time():
    before = datetime.now(UTC)
    value = clock.now(None)
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
    assert before <= value <= datetime.now(UTC)


def test_clock_file_that_is_not_a_time(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("tomorrow")
    with pytest.raises(clock.ClockError, match="ISO time"):
        clock.now(str(bad))
    with pytest.raises(clock.ClockError):
        clock.now(os.path.join(str(tmp_path), "missing.txt"))
