"""Lazy, bounded tenant connections on top of Django's connection handler.

Nothing is registered at start-up. A hospital's alias is added to Django's
connection settings while a context uses it and removed when the last context
using it ends, so Django's per-request housekeeping (which walks every
registered alias) stays O(hospitals in use now), never O(hospitals).

The connection objects themselves outlive the registration: each thread keeps
up to its budget of them open (HMS_MAX_TENANT_CONNECTIONS, or what the
process can hold: hms.tenancy.budget) for reuse and closes the least
recently used first. A connection is reused only while its settings are the very
dict it was made from; when a hospital's location changes, it is reconnected.

Django's settings dict is never mutated in place: a new dict replaces it, so a
thread iterating the old one (``connections.all()``) is never disturbed.
"""

import contextlib
import threading
import time
import weakref
from collections import Counter, OrderedDict
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, connections

from hms.core.metrics import TENANT_CONNECTION_EVICTIONS, TENANT_CONNECTIONS_OPEN, TENANT_CONNECTIONS_OPENED
from hms.tenancy.budget import connections_per_thread
from hms.tenancy.exceptions import ConnectionLimitReached

HOSPITAL_ALIAS_PREFIX = "hospital_"
TEMPLATE_ALIAS_PREFIX = "tenant_template_"

# Hospitals whose connection settings stay configured after their connection closes: the
# fleets a worker serves (10,000: ~10 MiB), so a reopened connection skips re-configuring.
CONFIGURATIONS_KEPT = 10_000

_lock = threading.Lock()
# alias -> (settings as given, the configured dict Django connects with); bounded LRU.
_configured: "OrderedDict[str, tuple[dict[str, Any], dict[str, Any]]]" = OrderedDict()
_pins: Counter[str] = Counter()  # alias -> contexts using it now, over all threads
_open_per_server: Counter[str] = Counter()  # server -> connection slots held by this process
_waiting: Counter[str] = Counter()  # server -> threads waiting for one of those slots
_slot_freed = threading.Condition(_lock)
_thread = threading.local()


def hospital_alias(code: str) -> str:
    return f"{HOSPITAL_ALIAS_PREFIX}{code}"


def is_tenant_alias(alias: str) -> bool:
    return alias.startswith((HOSPITAL_ALIAS_PREFIX, TEMPLATE_ALIAS_PREFIX))


def budget() -> int:
    """Open tenant connections a thread keeps (HMS_MAX_TENANT_CONNECTIONS, else hms.tenancy.budget's)."""
    return connections_per_thread()


def acquire(alias: str, database: Mapping[str, Any]) -> None:
    """Register `alias` for as long as it is in use, and make its connection this thread's most recent."""
    with _lock:
        configured = _configured_locked(alias, database)
        _pins[alias] += 1
        if connections.settings.get(alias) is not configured:
            connections.settings = {**connections.settings, alias: configured}
    try:
        _touch_thread_connection(alias, configured)
    except BaseException:
        _unpin(alias)
        raise


def release(alias: str) -> None:
    """End one use of `alias`; the connection stays open for reuse, the registration goes."""
    state = _thread_state()
    state["active"][alias] -= 1
    if state["active"][alias] <= 0:
        del state["active"][alias]
        _close_if_unusable(alias)
    _unpin(alias)
    _give_way_to_waiters()


def _unpin(alias: str) -> None:
    with _lock:
        _pins[alias] -= 1
        if _pins[alias] <= 0:
            del _pins[alias]
            if alias in connections.settings:
                connections.settings = {k: v for k, v in connections.settings.items() if k != alias}


def register(alias: str, database: Mapping[str, Any]) -> None:
    """Register `alias` until `forget(alias)` (template builds, fleet workers)."""
    with _lock:
        configured = _configured_locked(alias, database)
        _pins[alias] += 1
        connections.settings = {**connections.settings, alias: configured}


def forget(alias: str) -> None:
    """Close this thread's connection to `alias` and drop its registration."""
    _close_thread_connection(alias)
    _thread_state()["active"].pop(alias, None)
    with _lock:
        _pins.pop(alias, None)
        _configured.pop(alias, None)
        if alias in connections.settings:
            connections.settings = {k: v for k, v in connections.settings.items() if k != alias}


def discard(alias: str) -> None:
    """Close this thread's connection to `alias` after it failed, so the next use starts afresh.

    A connection that met a missing, damaged or locked database may still hold the old
    file (SQLite) or a broken session; closed here, the next request opens the database as
    it is then, and a database repaired or restored in the meantime is served again. A
    connection another context of this thread is still using is left alone.
    """
    if _thread_state()["active"].get(alias):
        return
    with contextlib.suppress(DatabaseError, InterfaceError):
        _close_thread_connection(alias)


def forget_all() -> None:
    """Close this thread's tenant connections and drop every registration (tests, before fork)."""
    for alias in {*registered_aliases(), *_thread_state()["open"], *_configured}:
        forget(alias)


def registered_aliases() -> list[str]:
    return [alias for alias in connections.settings if is_tenant_alias(alias)]


def open_aliases() -> list[str]:
    """This thread's open tenant connections, least recently used first."""
    return list(_thread_state()["open"])


def server_connections(server: str) -> int:
    """Connections this process holds to `server`'s hospitals now, over all threads."""
    return _open_per_server[server]


def _configured_locked(alias: str, database: Mapping[str, Any]) -> dict[str, Any]:
    if alias == DEFAULT_DB_ALIAS or not is_tenant_alias(alias):
        raise ValueError(f"{alias!r} is not a tenant alias")
    wanted = dict(database)
    cached = _configured.get(alias)
    if cached is None or cached[0] != wanted:
        filled = connections.configure_settings({DEFAULT_DB_ALIAS: {}, alias: _deep_copy(wanted)})
        cached = (wanted, filled[alias])
        _configured[alias] = cached
    _configured.move_to_end(alias)
    # The cache only spares re-configuring (~0.3 ms of CPU when a connection is reopened, about
    # 1 KiB an entry); dropping an entry just means a reconnect.
    while len(_configured) > max(budget(), CONFIGURATIONS_KEPT):
        _configured.popitem(last=False)
    return cached[1]


class _ThreadState(dict[str, Any]):
    """A thread's open tenant connections ("open": alias -> server) and contexts ("active")."""


def _thread_state() -> dict[str, Any]:
    state = getattr(_thread, "state", None)
    if state is None:
        state = _ThreadState(open=OrderedDict(), active=Counter())
        _thread.state = state
        # A thread that ends takes its connections with it (its thread-locals are dropped and
        # the connections closed with them): give their slots on each server back, or a
        # process whose threads come and go would run out of its servers' allowance.
        weakref.finalize(state, _slots_of_ended_thread_free, state["open"])
    return state


def _slots_of_ended_thread_free(opened: "OrderedDict[str, str]") -> None:
    if not opened:
        return
    with _lock:
        for server in opened.values():
            _open_per_server[server] -= 1
        _slot_freed.notify_all()
    TENANT_CONNECTIONS_OPEN.dec(len(opened))


def _touch_thread_connection(alias: str, configured: dict[str, Any]) -> None:
    state = _thread_state()
    opened: OrderedDict[str, str] = state["open"]
    existing = _existing_connection(alias)
    if existing is not None and existing.settings_dict is not configured:
        _close_thread_connection(alias)  # the hospital's settings changed: reconnect
    if alias not in opened:
        server = configured.get("HMS_SERVER", "")
        _take_slot_on_server(server, opened, state["active"])
        TENANT_CONNECTIONS_OPEN.inc()
        opened[alias] = server
    opened.move_to_end(alias)
    state["active"][alias] += 1
    _evict_over_budget(state)


def _evict_over_budget(state: dict[str, Any]) -> None:
    """Close this thread's least recently used connections that no context anywhere is using."""
    opened: OrderedDict[str, str] = state["open"]
    while len(opened) > budget():
        victim = next((a for a in opened if not state["active"][a] and not _pins[a]), None)
        if victim is None:
            break
        _close_thread_connection(victim)
        TENANT_CONNECTION_EVICTIONS.labels("budget").inc()


def on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Count a tenant connection in the thread that opened it.

    Usually that is the thread that entered the context; in async code the context
    is entered on the event loop and the ORM connects in asgiref's worker thread,
    whose connections must stay within the budget too.
    """
    alias = connection.alias
    if not alias.startswith(HOSPITAL_ALIAS_PREFIX):
        return
    TENANT_CONNECTIONS_OPENED.inc()
    state = _thread_state()
    opened: OrderedDict[str, str] = state["open"]
    if alias not in opened:
        server = connection.settings_dict.get("HMS_SERVER", "")
        with _lock:
            _open_per_server[server] += 1
        TENANT_CONNECTIONS_OPEN.inc()
        opened[alias] = server
    opened.move_to_end(alias)
    _evict_over_budget(state)


def _take_slot_on_server(server: str, opened: "OrderedDict[str, str]", active: Counter[str]) -> None:
    """Count a new connection within the server's allowance for this process.

    At the allowance, this thread's least recently used idle connection to the server is
    closed; if this thread has none, the request waits (HMS_CONNECTION_WAIT_SECONDS) for
    another thread to give one up, and only then is refused (a 503 saying so).
    """
    limit = _server_limit(server)
    deadline: float | None = None
    while True:
        with _lock:
            if limit is None or _open_per_server[server] < limit:
                _open_per_server[server] += 1
                return
        victim = next((a for a, s in opened.items() if s == server and not active[a]), None)
        if victim is not None:
            _close_thread_connection(victim)
            TENANT_CONNECTION_EVICTIONS.labels("server").inc()
            continue
        held_here = sum(1 for s in opened.values() if s == server)
        wait = float(getattr(settings, "HMS_CONNECTION_WAIT_SECONDS", 5.0))
        if deadline is None:
            deadline = time.monotonic() + wait
        # All the slots in use by this very thread: no other thread can free one for it.
        if held_here >= limit or not _wait_for_slot(server, limit, deadline):
            raise ConnectionLimitReached(
                f"All {limit} connections this process may open to database server {server} are "
                f"in use{f' (waited {wait:g} s)' if held_here < limit else ''}; try again in a moment."
            )


def _wait_for_slot(server: str, limit: int, deadline: float) -> bool:
    with _slot_freed:
        _waiting[server] += 1
        try:
            return _slot_freed.wait_for(
                lambda: _open_per_server[server] < limit, timeout=max(0.0, deadline - time.monotonic())
            )
        finally:
            _waiting[server] -= 1
            if _waiting[server] <= 0:
                del _waiting[server]


def _give_way_to_waiters() -> None:
    """Close this thread's least recently used idle connection to each server another thread waits for."""
    if not _waiting:
        return
    with _lock:
        servers = [server for server, count in _waiting.items() if count > 0]
    state = _thread_state()
    for server in servers:
        victim = next(
            (a for a, s in state["open"].items() if s == server and not state["active"][a] and not _pins[a]),
            None,
        )
        if victim is not None:
            _close_thread_connection(victim)
            TENANT_CONNECTION_EVICTIONS.labels("server").inc()


def _server_limit(server: str) -> int | None:
    if not server:
        return None
    from hms.tenancy.servers import configured_servers, process_allowance

    found = configured_servers().get(server)
    return process_allowance(found) if found else None


def _existing_connection(alias: str) -> Any:
    # Django keeps each thread's connections in a private Local; reading it is the
    # only way to ask "is this connection open here?" without creating one.
    return getattr(connections._connections, alias, None)  # type: ignore[attr-defined]


def _close_if_unusable(alias: str) -> None:
    """What Django's request_finished handler does, for a connection it no longer sees."""
    existing = _existing_connection(alias)
    if existing is not None and not existing.in_atomic_block:
        existing.close_if_unusable_or_obsolete()


def _close_thread_connection(alias: str) -> None:
    server = _thread_state()["open"].pop(alias, None)
    if server is not None:
        with _lock:
            _open_per_server[server] -= 1
            _slot_freed.notify_all()
        TENANT_CONNECTIONS_OPEN.dec()
    existing = _existing_connection(alias)
    if existing is None:
        return
    try:
        existing.close()
    finally:
        del connections[alias]


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    return value
