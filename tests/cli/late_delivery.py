"""A live-path consumer that falls behind on the session clock, for the lag tests.

Made on the session clock, not by loading the machine, so the tests pass on any machine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class SlowConsumer:
    """Hands a sink its batches late on the session clock, in arrival order.

    Batches whose last sample falls in ``[late_from_s, late_to_s)`` session seconds reach
    ``deliver`` ``late_s`` session seconds late; the others at once.
    """

    def __init__(
        self,
        deliver: Callable[[Any], None],
        now_s: Callable[[], float],
        *,
        late_from_s: float,
        late_to_s: float,
        late_s: float,
    ) -> None:
        self.deliver, self.now_s = deliver, now_s
        self.late_from_s, self.late_to_s, self.late_s = late_from_s, late_to_s, late_s
        self.queue: list[Any] = []

    def on_samples(self, batch: Any) -> None:
        self.queue.append(batch)
        self.release()

    def release(self) -> None:
        now = self.now_s()
        while self.queue:
            t = float(self.queue[0].t_s[-1])
            late = self.late_s if self.late_from_s <= t < self.late_to_s else 0.0
            if t + late > now:
                return
            self.deliver(self.queue.pop(0))
