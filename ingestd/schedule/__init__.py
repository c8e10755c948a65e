"""schedule stage: when each feed is polled next.

    history + hints + now ─▶ policy.next_poll (pure) ─▶ Decision ─▶ state.record_decision (store)

:mod:`ingestd.schedule.hints` turns HTTP headers into hints,
:mod:`ingestd.schedule.policy` decides, :mod:`ingestd.schedule.state` reads
and writes the schedule columns of the store through its portable SQL surface.
"""

from ingestd.schedule.hints import Hints, parse_hints
from ingestd.schedule.policy import Decision, FeedHistory, PolicyConfig, next_poll

__all__ = ["Decision", "FeedHistory", "Hints", "PolicyConfig", "next_poll", "parse_hints"]
