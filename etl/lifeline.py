"""Helper processes that die with the ETL process that started them, however it ended
(``kill -9`` included): the clean stage's workers and the validation process."""

from __future__ import annotations

import os
import select
import threading
import time

PARENT_CHECK_SECONDS = 1.0  # where there are no pidfds


def exit_with(parent: int) -> None:
    """Have this process exit as soon as process ``parent`` is gone: a thread waits on a
    pidfd of ``parent`` (Linux), or checks on it every second elsewhere."""
    threading.Thread(target=_watch, args=(parent,), daemon=True).start()


def _watch(parent: int) -> None:
    try:
        handle = os.pidfd_open(parent)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # no pidfds here: look now and then
        while True:
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            time.sleep(PARENT_CHECK_SECONDS)
    select.select([handle], [], [])  # readable once the process has ended
    os._exit(1)
