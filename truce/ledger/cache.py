"""Per-process caches of rarely changing records, checked against the ledger's type heads.

Every write appends a ledger entry in its transaction, and the ledger keeps
the last entry of each record type (LedgerTypeHead). A value built from
records of some types is therefore current exactly while the heads of those
types are what they were when it was built: one query for many caches,
instead of a freshness query each (or a rebuild each time).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Generic, TypeVar

from truce.ledger.selectors import TypeHead, type_heads

T = TypeVar("T")


class RecordsCache(Generic[T]):
    """A value built from the records of `record_types`, rebuilt after any of them is written.

    max_age (seconds), if given, also bounds how long a value is trusted:
    for values where a change made behind the services' back (a shell, a
    raw UPDATE) must still take effect soon, such as who may log in.
    """

    def __init__(
        self, record_types: Iterable[str], build: Callable[[], T], max_age: float | None = None
    ) -> None:
        self.record_types = tuple(sorted(set(record_types)))
        self._build = build
        self._max_age = max_age
        self._built_at = 0.0
        self._lock = threading.Lock()
        self._stamp: tuple[TypeHead, ...] | None = None
        self._value: T | None = None

    def get(self, heads: Mapping[str, TypeHead] | None = None) -> T:
        """The value; `heads` from type_heads() spares the query when read for several caches."""
        if heads is None or any(t not in heads for t in self.record_types):
            heads = type_heads(self.record_types)
        stamp = tuple(heads[t] for t in self.record_types)
        now = time.monotonic()
        with self._lock:
            expired = self._max_age is not None and now - self._built_at > self._max_age
            if self._value is None or stamp != self._stamp or expired:
                # Built under the lock: two threads seeing a change build once.
                self._value = self._build()
                self._stamp = stamp
                self._built_at = now
            return self._value

    def clear(self) -> None:
        with self._lock:
            self._value = None
            self._stamp = None
