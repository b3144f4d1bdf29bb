"""How many hospital connections a thread keeps open: the setting, or what the process can hold.

A connection beyond the budget closes the least recently used one, and reopening it costs
several milliseconds (docs/benchmarks.md), so the budget should cover the hospitals a
worker serves. Unset, it is the most this process can hold: an open SQLite hospital in WAL
mode takes three file descriptors (the database, its -wal and its -shm) and about a
megabyte once its schema is parsed and its page cache warm, so the budget is what the
open-files limit (less a reserve for sockets, logs and backups) and a sixteenth of the
memory leave room for, shared by the worker's threads. A fixed small default made a fleet
beyond it reopen a database on every request; a default beyond the open-files limit ends
in "too many open files".
"""

import functools
import os
import resource
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

FILES_PER_CONNECTION = 3  # SQLite in WAL mode: database, -wal, -shm (PostgreSQL: one socket)
FILES_RESERVED = 256  # sockets, the shared database, log files, backups and imports under way
MEMORY_PER_CONNECTION = 1 << 20  # parsed schema (~0.3 MiB, measured) and part of a 2 MiB page cache
MEMORY_SHARE = 16  # tenant connections may take 1/16 of the memory this process may use
SMALLEST = 4  # below this a worker reopens connections even for a handful of hospitals
LARGEST = 20_000  # beyond any one worker's fleet; keeps the configuration cache bounded
CGROUP_MEMORY_LIMIT = Path("/sys/fs/cgroup/memory.max")


@dataclass(frozen=True)
class Budget:
    """A thread's connection budget and what set it."""

    connections: int
    source: str  # "HMS_MAX_TENANT_CONNECTIONS", "open-files limit" or "memory"
    open_files_limit: int | None  # the soft RLIMIT_NOFILE (None: unlimited)
    threads: int

    def files_needed(self) -> int:
        """The open-files limit a worker needs to hold this budget in every thread."""
        return files_needed(self.connections, self.threads)


def files_needed(connections: int, threads: int = 1) -> int:
    return connections * threads * FILES_PER_CONNECTION + FILES_RESERVED


def tenant_connection_budget() -> Budget:
    threads = worker_threads()
    if getattr(settings, "HMS_MAX_TENANT_CONNECTIONS", None) is None:
        return automatic_budget(threads)
    return Budget(connections_per_thread(), "HMS_MAX_TENANT_CONNECTIONS", open_files_limit(), threads)


def connections_per_thread() -> int:
    """The budget alone: read on every hospital connection, so a settings lookup and no more."""
    configured = getattr(settings, "HMS_MAX_TENANT_CONNECTIONS", None)
    if configured is not None:
        return max(1, int(configured))
    return automatic_budget(worker_threads()).connections


def worker_threads() -> int:
    return max(1, int(getattr(settings, "HMS_WORKER_THREADS", 1)))


@functools.lru_cache(maxsize=4)
def automatic_budget(threads: int) -> Budget:
    """The budget from this process's limits, read once (they do not change while it runs)."""
    nofile = open_files_limit()
    by_files = LARGEST if nofile is None else (nofile - FILES_RESERVED) // (FILES_PER_CONNECTION * threads)
    by_memory = memory_limit() // MEMORY_SHARE // (MEMORY_PER_CONNECTION * threads)
    source = "open-files limit" if by_files <= by_memory else "memory"
    return Budget(max(SMALLEST, min(by_files, by_memory, LARGEST)), source, nofile, threads)


def open_files_limit() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


def memory_limit() -> int:
    """Bytes this process may use: the machine's memory, or its container's limit if lower."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        text = CGROUP_MEMORY_LIMIT.read_text().strip()
    except OSError:
        return physical
    return min(physical, int(text)) if text.isdigit() else physical
