"""UUIDv7 identifiers (RFC 9562): time-ordered, so new rows append to the end of B-tree indexes.

Python 3.11's ``uuid`` module has no ``uuid7``; the layout is a dozen lines, not worth a dependency.
Within one millisecond the 12-bit ``rand_a`` field is a counter (RFC 9562 section 6.2, method 1), so ids made
by one process sort in the order they were made.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> uuid.UUID:
    global _last_ms, _counter
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms > _last_ms:
            _last_ms, _counter = now_ms, int.from_bytes(os.urandom(2)) & 0x3FF  # leave room to count up
        else:
            _counter += 1
            if _counter > 0xFFF:  # counter spent: borrow the next millisecond rather than repeat
                _last_ms, _counter = _last_ms + 1, 0
        ms, counter = _last_ms, _counter
    rand_b = int.from_bytes(os.urandom(8)) & 0x3FFF_FFFF_FFFF_FFFF
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)
