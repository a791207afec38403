"""Django's SQLite backend, with writers queued on an OS file lock before BEGIN.

SQLite lets one writer in at a time. A writer that finds the write lock taken
sleeps in SQLite's busy handler, in steps of 1, 2, 5, 10, 15, 20, 25 ... ms,
and retries; so a report that could have written 1 ms after another often
waits 8 ms or more, and under a steady stream of writes (the web workers and
the grouper) latency piles up. Here each connection first takes an exclusive
flock on a file beside the database, polled at a fine interval (well under a
millisecond at first), and only then runs BEGIN IMMEDIATE; it lets go at
COMMIT or ROLLBACK. Writers of every process and thread queue on that lock,
and SQLite's own lock is then free whenever it is asked for. Reads take no
lock (WAL readers never wait for the writer).

A wait is bounded like SQLite's own (the connection's timeout): then the
usual "database is locked" error. Processes that write without this backend
(the sqlite3 shell, a raw connection) still work: SQLite's lock remains the
real one, this only orders Truce's own writers. In-memory databases (tests)
skip it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from typing import Any

from django.db.backends.sqlite3 import base as sqlite3_base
from django.db.utils import OperationalError

# First retries come quickly (a short write just finishing), then at most every ms.
FIRST_WAIT_S = 0.0001
LONGEST_WAIT_S = 0.001


class DatabaseWrapper(sqlite3_base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_fd: int | None = None
        self._writing = False

    def _writer_lock_path(self) -> str | None:
        if self.is_in_memory_db():
            return None
        return str(self.settings_dict["NAME"]) + ".writer-lock"

    def _take_writer_lock(self) -> None:
        path = self._writer_lock_path()
        if path is None or self._writing:
            return
        if self._writer_fd is None:
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        deadline = time.monotonic() + timeout
        wait = FIRST_WAIT_S
        while True:
            try:
                fcntl.flock(self._writer_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() > deadline:
                raise OperationalError(
                    f"database is locked (another writer held it for over {timeout:.0f} s)"
                )
            time.sleep(wait)
            wait = min(wait * 2, LONGEST_WAIT_S)
        self._writing = True

    def _let_go(self) -> None:
        if self._writing and self._writer_fd is not None:
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
        self._writing = False

    def _start_transaction_under_autocommit(self) -> None:
        self._take_writer_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in the stubs
        except BaseException:
            self._let_go()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]  # private in the stubs
        finally:
            self._let_go()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]  # private in the stubs
        finally:
            self._let_go()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private in the stubs
        finally:
            self._let_go()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None
