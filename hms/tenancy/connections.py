"""Lazy, bounded registration of tenant databases with Django's connection handler.

Nothing is registered at start-up. A hospital's alias is added the first time a
context uses it, and the registry of aliases is bounded by
HMS_MAX_TENANT_CONNECTIONS, so Django's per-request housekeeping (which walks
every registered alias) stays O(budget), not O(hospitals). Each thread closes
its own idle tenant connections least-recently-used first under the same budget.

Django's settings dict is never mutated in place: a new dict replaces it, so a
thread iterating the old one (``connections.all()``) is never disturbed.
"""

import threading
from collections import Counter, OrderedDict
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

HOSPITAL_ALIAS_PREFIX = "hospital_"
TEMPLATE_ALIAS_PREFIX = "tenant_template_"

_lock = threading.Lock()
_sources: dict[str, dict[str, Any]] = {}  # alias -> settings as given, for change detection
_recent: "OrderedDict[str, None]" = OrderedDict()  # registered aliases, least recent first
_pins: Counter[str] = Counter()  # alias -> contexts using it now, over all threads
_thread = threading.local()


def hospital_alias(code: str) -> str:
    return f"{HOSPITAL_ALIAS_PREFIX}{code}"


def is_tenant_alias(alias: str) -> bool:
    return alias.startswith((HOSPITAL_ALIAS_PREFIX, TEMPLATE_ALIAS_PREFIX))


def budget() -> int:
    return max(1, int(getattr(settings, "HMS_MAX_TENANT_CONNECTIONS", 64)))


def acquire(alias: str, database: Mapping[str, Any]) -> None:
    """Register `alias` (or refresh it if its settings changed) and pin it for this context."""
    with _lock:
        _register_locked(alias, database)
        _pins[alias] += 1
        _evict_registrations_locked()
    _touch_thread_connection(alias)


def release(alias: str) -> None:
    with _lock:
        _pins[alias] -= 1
        if _pins[alias] <= 0:
            del _pins[alias]
    active = _thread_state()["active"]
    active[alias] -= 1
    if active[alias] <= 0:
        del active[alias]


def register(alias: str, database: Mapping[str, Any]) -> None:
    """Register without pinning (template builds, fleet workers)."""
    with _lock:
        _register_locked(alias, database)
        _evict_registrations_locked()


def forget(alias: str) -> None:
    """Close this thread's connection to `alias` and drop its registration."""
    _close_thread_connection(alias)
    _thread_state()["open"].pop(alias, None)
    with _lock:
        _recent.pop(alias, None)
        _sources.pop(alias, None)
        if alias in connections.settings:
            connections.settings = {k: v for k, v in connections.settings.items() if k != alias}


def forget_all() -> None:
    """Drop every tenant registration (tests, and before forking worker processes)."""
    for alias in [a for a in connections.settings if is_tenant_alias(a)]:
        forget(alias)
    for alias in list(_thread_state()["open"]):
        forget(alias)


def registered_aliases() -> list[str]:
    return [alias for alias in connections.settings if is_tenant_alias(alias)]


def open_aliases() -> list[str]:
    """This thread's open (or openable) tenant connections, least recent first."""
    return list(_thread_state()["open"])


def _register_locked(alias: str, database: Mapping[str, Any]) -> None:
    if alias == DEFAULT_DB_ALIAS or not is_tenant_alias(alias):
        raise ValueError(f"{alias!r} is not a tenant alias")
    wanted = dict(database)
    if _sources.get(alias) != wanted or alias not in connections.settings:
        configured = connections.configure_settings({DEFAULT_DB_ALIAS: {}, alias: _deep_copy(wanted)})
        connections.settings = {**connections.settings, alias: configured[alias]}
        _sources[alias] = wanted
    _recent[alias] = None
    _recent.move_to_end(alias)


def _evict_registrations_locked() -> None:
    excess = len(_recent) - budget()
    if excess <= 0:
        return
    victims = [alias for alias in _recent if not _pins[alias]][:excess]
    if not victims:
        return
    for alias in victims:
        del _recent[alias]
        _sources.pop(alias, None)
    dropped = set(victims)
    connections.settings = {k: v for k, v in connections.settings.items() if k not in dropped}


def _thread_state() -> dict[str, Any]:
    state = getattr(_thread, "state", None)
    if state is None:
        state = {"open": OrderedDict(), "active": Counter()}
        _thread.state = state
    return state


def _touch_thread_connection(alias: str) -> None:
    state = _thread_state()
    opened: OrderedDict[str, Any] = state["open"]
    registered = connections.settings[alias]
    existing = _existing_connection(alias)
    if existing is not None and existing.settings_dict is not registered:
        # The hospital's settings changed (or were re-registered): reconnect.
        _close_thread_connection(alias)
    opened[alias] = None
    opened.move_to_end(alias)
    state["active"][alias] += 1
    while len(opened) > budget():
        victim = next((a for a in opened if not state["active"][a]), None)
        if victim is None:
            break
        del opened[victim]
        _close_thread_connection(victim)


def _existing_connection(alias: str) -> Any:
    # Django keeps each thread's connections in a private Local; reading it is the
    # only way to ask "is this connection open here?" without creating one.
    return getattr(connections._connections, alias, None)


def _close_thread_connection(alias: str) -> None:
    existing = _existing_connection(alias)
    if existing is None:
        return
    try:
        existing.close()
    finally:
        delattr(connections._connections, alias)


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    return value
