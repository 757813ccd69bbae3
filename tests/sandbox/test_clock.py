"""The sandbox's clock: a client's wait never dates work past the world's now."""

from __future__ import annotations

from sandbox.clock import SandboxClock
from tests.conftest import WORLD_ORIGIN


def test_a_wait_on_a_frozen_world_moves_both_timelines() -> None:
    clock = SandboxClock(WORLD_ORIGIN, time_scale=3600, frozen=True)
    pace = clock.pace()
    clock.wait(600)
    assert clock.now() == WORLD_ORIGIN.add(seconds=600)
    assert clock.pace() >= pace + 600


def test_a_wait_on_a_running_world_hurries_the_pace_only() -> None:
    clock = SandboxClock(WORLD_ORIGIN, time_scale=3600)
    before = clock.mark()
    clock.wait(86_400)  # a day of callbacks and queues at once
    after = clock.mark()
    assert after.pace >= before.pace + 86_400
    assert after.world - before.world < 600  # the world stayed on the real clock
    # work due inside the jump is stamped when the wait began, never past now
    assert before.world <= clock.world_at(before.pace + 43_200) <= after.world
    assert clock.pace_at(after.world) <= clock.pace()
