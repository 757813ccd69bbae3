"""What stopped a run: the chain of causes dlt wraps, and the signal among them."""

from __future__ import annotations

import signal


def causes(error: BaseException) -> list[BaseException]:
    """`error` and what it wraps, outermost first (dlt's step errors keep theirs in
    `exception`)."""
    chain = [error]
    while True:
        inner = getattr(chain[-1], "exception", None) or chain[-1].__cause__
        if not isinstance(inner, BaseException) or any(inner is seen for seen in chain):
            return chain
        chain.append(inner)


def interruption(error: BaseException) -> int | None:
    """The signal that stopped the run (Ctrl-C is SIGINT), wherever dlt wrapped it: the
    KeyboardInterrupt itself, or dlt's SignalReceivedException from normalize and load."""
    for cause in causes(error):
        if isinstance(cause, KeyboardInterrupt):
            return int(getattr(cause, "signal_code", signal.SIGINT))
    return None
