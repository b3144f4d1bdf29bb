"""Whether a process still runs: for files named after the process that writes them
(`*.partial-<pid>`), which another process may remove once their writer is gone."""

import os


def pid_alive(pid: int) -> bool:
    """Whether process `pid` runs (another user's counts: it may not be signalled, but it is
    there). 0 names no process: signalling it would reach this process's own group."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != 0
