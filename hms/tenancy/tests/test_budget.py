"""The connection budget: HMS_MAX_TENANT_CONNECTIONS if set, else what the process can hold."""

import os
import resource

import pytest

from hms.tenancy import budget as budget_module
from hms.tenancy import connections as tenant_connections
from hms.tenancy.budget import automatic_budget, tenant_connection_budget

GIB = 1 << 30


@pytest.fixture
def limits(monkeypatch, settings):
    """Pretend this process has the given open-files limit and memory."""
    settings.HMS_MAX_TENANT_CONNECTIONS = None

    def pretend(nofile, memory):
        monkeypatch.setattr(resource, "getrlimit", lambda which: (nofile, resource.RLIM_INFINITY))
        monkeypatch.setattr(budget_module, "memory_limit", lambda: memory)
        automatic_budget.cache_clear()

    yield pretend
    automatic_budget.cache_clear()


def test_unset_the_open_files_limit_sets_it(limits):
    limits(1024, 1024 * GIB)
    found = tenant_connection_budget()
    assert (found.connections, found.source) == ((1024 - 256) // 3, "open-files limit")
    assert tenant_connections.budget() == 256
    limits(32768, 1024 * GIB)
    assert tenant_connections.budget() == (32768 - 256) // 3


def test_unset_a_small_memory_sets_it(limits):
    limits(65536, 2 * GIB)
    found = tenant_connection_budget()
    assert (found.connections, found.source) == (128, "memory")  # 1/16 of 2 GiB at 1 MiB each


def test_threads_share_the_process_allowance(limits, settings):
    settings.HMS_WORKER_THREADS = 4
    limits(4096, 1024 * GIB)
    assert tenant_connection_budget().connections == (4096 - 256) // 12


def test_never_below_a_handful_nor_unbounded(limits):
    limits(262, 1024 * GIB)  # room for 2
    assert tenant_connection_budget().connections == 4
    limits(resource.RLIM_INFINITY, 1 << 50)
    assert tenant_connection_budget().connections == budget_module.LARGEST


def test_the_setting_wins(limits, settings):
    limits(1024, 1024 * GIB)
    settings.HMS_MAX_TENANT_CONNECTIONS = 2000
    found = tenant_connection_budget()
    assert (found.connections, found.source) == (2000, "HMS_MAX_TENANT_CONNECTIONS")
    assert found.files_needed() == 2000 * 3 + 256


def test_memory_limit_reads_a_container_limit_below_the_machine(tmp_path, monkeypatch):
    limit = tmp_path / "memory.max"
    limit.write_text("1073741824\n")
    monkeypatch.setattr(budget_module, "CGROUP_MEMORY_LIMIT", limit)
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert budget_module.memory_limit() == min(GIB, physical)
    limit.write_text("max\n")  # no container limit
    assert budget_module.memory_limit() == physical
