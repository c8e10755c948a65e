"""The lease policy (ingestd/lease/policy.py) and the feed-claim decision
(ingestd/store/leases.py), from data alone; and INGESTD_METRICS_LISTEN."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingestd.errors import ConfigError
from ingestd.lease.policy import (
    BUSY_RECHECK,
    LeasePolicy,
    RateSample,
    dead_here,
    is_live,
    pages_rate,
    replan_at,
)
from ingestd.settings import ServiceSettings, load_settings
from ingestd.store.leases import decide_feed_claim
from ingestd.store.records import FeedClaim, WorkerCounters, WorkerInfo, WorkerRow

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def info(worker_id: str = "h:1:aa", host: str = "h", pid: int = 1) -> WorkerInfo:
    return WorkerInfo(worker_id, host, pid, "run", "", 120.0, T0)


def test_leases_last_their_period_and_are_renewed_three_times_in_it() -> None:
    policy = LeasePolicy(120.0)
    assert policy.expiry(T0) == T0 + 120 * S
    assert policy.renew_every == 40.0
    assert policy.prune_before(T0) == T0 - timedelta(days=1)
    assert LeasePolicy(36_000.0).prune_before(T0) == T0 - 360_000 * S


@pytest.mark.parametrize(
    ("owner", "expires", "next_poll", "due_by", "expected"),
    [
        (None, None, None, T0, ("claimed", None)),  # never polled: due
        (None, None, T0 - S, T0, ("claimed", None)),
        (None, None, T0 + 60 * S, T0 + S, ("not_due", T0 + 60 * S)),  # polled for this due time
        (None, None, T0 + 60 * S, None, ("claimed", None)),  # a one-off polls now
        ("other", T0 + 5 * S, T0 - S, T0, ("held", T0 + 5 * S)),
        ("other", T0, T0 - S, T0, ("claimed", None)),  # expired at this instant
        ("me", T0 + 5 * S, T0 - S, T0, ("claimed", None)),  # its own lease
    ],
)
def test_feed_claim_decision(
    owner: str | None,
    expires: datetime | None,
    next_poll: datetime | None,
    due_by: datetime | None,
    expected: tuple[str, datetime | None],
) -> None:
    got = decide_feed_claim(
        active=True,
        owner=owner,
        expires=expires,
        next_poll_at=next_poll,
        worker_id="me",
        now=T0,
        due_by=due_by,
    )
    assert got == expected


def test_an_inactive_feed_is_gone_whoever_holds_it() -> None:
    got = decide_feed_claim(
        active=False, owner="x", expires=T0, next_poll_at=None, worker_id="me", now=T0, due_by=T0
    )
    assert got == ("gone", None)


def test_a_refused_feed_is_looked_at_again_when_it_can_be_taken() -> None:
    policy = LeasePolicy(120.0)
    assert replan_at(policy, FeedClaim("not_due", until=T0 + 300 * S), T0) == T0 + 300 * S
    # Held: within a heartbeat period, or at the expiry if sooner.
    assert replan_at(policy, FeedClaim("held", until=T0 + 100 * S), T0) == T0 + 40 * S
    assert replan_at(policy, FeedClaim("held", until=T0 + 10 * S), T0) == T0 + 10 * S
    assert replan_at(policy, FeedClaim("held"), T0) == T0 + BUSY_RECHECK  # mid-claim
    assert replan_at(policy, FeedClaim("gone"), T0) is None


def test_a_worker_is_live_while_its_heartbeat_is_younger_than_its_lease() -> None:
    row = WorkerRow(info(), T0, WorkerCounters(), 0, 0)
    assert is_live(row, T0 + 119 * S)
    assert not is_live(row, T0 + 120 * S)


def test_only_a_missing_process_of_this_machine_is_dead_here() -> None:
    me = info("h:2:bb", pid=2)
    assert dead_here(info("h:1:aa", pid=1), me, alive=lambda pid: False)
    assert not dead_here(info("h:1:aa", pid=1), me, alive=lambda pid: True)
    assert not dead_here(info("k:1:aa", host="k", pid=1), me, alive=lambda pid: False)
    assert not dead_here(me, me, alive=lambda pid: False)


def test_pages_rate_between_heartbeats() -> None:
    assert pages_rate(RateSample(T0, 10), RateSample(T0 + 4 * S, 30)) == 5.0
    assert pages_rate(RateSample(T0, 10), RateSample(T0, 30)) == 0.0


def test_lease_seconds_is_validated() -> None:
    assert ServiceSettings().lease_seconds == 120.0
    assert ServiceSettings.model_validate({"lease_seconds": 5}).lease_seconds == 5.0
    for bad in (0, 0.5, 7200):
        with pytest.raises(ValueError, match="lease_seconds"):
            ServiceSettings.model_validate({"lease_seconds": bad})


def test_metrics_listen_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "ingestd.toml"
    config.write_text('[metrics]\nlisten = "127.0.0.1:9464"\n')
    assert load_settings(config).metrics.listen == "127.0.0.1:9464"
    monkeypatch.setenv("INGESTD_METRICS_LISTEN", "127.0.0.1:9465")
    assert load_settings(config).metrics.listen == "127.0.0.1:9465"
    monkeypatch.setenv("INGESTD_METRICS_LISTEN", "192.0.2.1:9465")
    with pytest.raises(ConfigError, match="INGESTD_METRICS_LISTEN"):
        load_settings(config)


def test_metrics_carry_the_worker_label() -> None:
    from ingestd.pipeline import EntryOutcome, PollOutcome
    from ingestd.service.metrics import Metrics

    metrics = Metrics()
    metrics.set_worker(info("h:7:cc", pid=7))
    metrics.observe_poll(PollOutcome(1, "http://x/feed", "unchanged", 304))
    metrics.observe_entry(EntryOutcome(1, "stored"))
    metrics.observe_entry(EntryOutcome(2, "known"))
    metrics.observe_leases(2, 5)
    text = metrics.text().decode()
    assert 'ingestd_worker_info{host="h",pid="7",worker="h:7:cc"} 1.0' in text
    assert 'ingestd_worker_pages_total{worker="h:7:cc"} 1.0' in text
    assert 'ingestd_worker_feed_polls_total{worker="h:7:cc"} 1.0' in text
    assert 'ingestd_worker_leases{kind="entry",worker="h:7:cc"} 5.0' in text
