"""The shared pacer on a fake clock: slow down on 429, honour the limit it measured, recover."""

from dbx_inventory.api.pacer import Pacer
from tests.fakes import FakeClock


def drive(pacer, clock, n, outcome):
    for _ in range(n):
        pacer.acquire()
        clock.advance(0.001)
        pacer.release(**outcome(clock.time()))


def test_unlimited_until_throttled():
    clock = FakeClock()
    p = Pacer("dbfs", clock)
    drive(p, clock, 50, lambda t: {})
    assert p.state().rate is None and sum(clock.sleeps) == 0


def test_sustained_rate_limit_sets_the_measured_rate_then_probes_up():
    clock = FakeClock()
    p = Pacer("dbfs", clock)
    # A server that lets 30 requests/s through: the rest are 429 with Retry-After.
    allowed = {"t": clock.time(), "n": 0}

    def server(now):
        if now - allowed["t"] >= 1.0:
            allowed["t"], allowed["n"] = now, 0
        allowed["n"] += 1
        return {} if allowed["n"] <= 30 else {"throttled": True, "retry_after": 1.0}

    drive(p, clock, 400, server)
    rate = p.state().rate
    assert rate is not None and 20 <= rate <= 45
    throttled_before = p.throttled
    drive(p, clock, 300, server)
    assert (p.throttled - throttled_before) / 300 < 0.2  # no storm once the rate is known
    before = p.state().rate
    drive(p, clock, 100, lambda t: {})
    assert p.state().rate > before  # speeds back up on success


def test_stray_429s_do_not_slow_the_pacer():
    clock = FakeClock()
    p = Pacer("workspace", clock)
    drive(p, clock, 500, lambda t: {"throttled": True, "retry_after": 1.0} if int(t * 1000) % 40 == 0 else {})
    assert p.state().rate is None


def test_concurrency_cap_429_lowers_in_flight_limit_and_recovers():
    clock = FakeClock()
    p = Pacer("dbfs", clock, max_in_flight=8, recover_after=5)
    for _ in range(6):
        p.acquire()
    p.release(throttled=True)  # no Retry-After: the concurrency shape
    assert p.state().in_flight_limit == 5
    for _ in range(5):
        p.release()
    drive(p, clock, 20, lambda t: {})
    assert p.state().in_flight_limit == 8


def test_max_rps_caps_the_pace():
    clock = FakeClock()
    p = Pacer("dbfs", clock, max_rps=10)
    start = clock.time()
    drive(p, clock, 21, lambda t: {})
    assert clock.time() - start >= 2.0


def test_a_pacer_left_alone_finds_the_freed_rate_in_seconds():
    # A Spark task that shared the limit with another learned half of it; the other task has finished.
    clock = FakeClock()
    p = Pacer("dbfs", clock, initial_rate=15.0, learned=True)
    start = clock.time()
    while p.state().rate < 30.0 and clock.time() - start < 60:
        p.acquire()
        clock.advance(0.05)  # latency: requests are not all instant, and the pace is 15/s to begin with
        p.release()
    assert clock.time() - start < 10  # the plain step (+0.1% per success) would take about 45 s


def test_quiet_probing_never_runs_ahead_of_what_gets_through():
    # Requests limited by latency, not by the pacer: 10 per second get through, whatever the pace allows.
    clock = FakeClock()
    p = Pacer("dbfs", clock, initial_rate=12.0, learned=True)
    for _ in range(600):
        p.acquire()
        clock.advance(0.1)
        p.release()
    assert 12.0 < p.state().rate <= 22.0  # it probed, but stopped at about twice the 10/s that got through


def test_a_rate_limit_429_ends_the_quiet_spell():
    clock = FakeClock()
    p = Pacer("dbfs", clock, initial_rate=20.0, learned=True)
    drive(p, clock, 5, lambda t: {})
    clock.advance(10)  # ten quiet seconds: the step is at its largest
    p.acquire()
    p.release(throttled=True, retry_after=1.0)
    before = p.state().rate
    p.acquire()
    clock.advance(0.05)
    p.release()
    assert p.state().rate <= before * 1.0011  # back to the plain step
