"""What every fake API blueprint shares: the world, the request log, the fault switches and a lock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sandbox.faults import FaultInjector
from sandbox.recording import RequestLog
from sandbox.world import World


@dataclass
class SandboxState:
    world: World
    log: RequestLog = field(default_factory=RequestLog)
    faults: FaultInjector = field(default_factory=FaultInjector)
    lock: threading.RLock = field(default_factory=threading.RLock)
    """Held by handlers while they read the world; tests that mutate a running world take it too."""
