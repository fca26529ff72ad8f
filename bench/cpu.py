"""Where a load's CPU went: the machine's busy time and each process group's, per request (Linux /proc).

On 2 shared cores a rate is a CPU budget: 2,000 ms of CPU a second divided by the milliseconds each
request costs, in gunicorn (Python), PostgreSQL and the load generator together. Splitting it shows
which of them a change has to shrink.
"""

import os
from collections import Counter
from collections.abc import Callable

TICK = os.sysconf("SC_CLK_TCK")


def _machine_busy() -> int:
    with open("/proc/stat") as stat:
        fields = [int(f) for f in stat.readline().split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # all but idle and iowait


def _group(pid: str) -> tuple[str, int] | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            line = stat.read()
        with open(f"/proc/{pid}/cmdline", "rb") as cmd:
            command = cmd.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    name = line[line.index("(") + 1 : line.rindex(")")]
    fields = line[line.rindex(")") + 2 :].split()
    if "gunicorn" in command:
        name = "gunicorn"
    elif name.startswith("postgres"):
        name = "postgres"
    return name, int(fields[11]) + int(fields[12])  # utime + stime


def _processes() -> Counter:
    ticks = Counter()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        found = _group(pid)
        if found:
            ticks[found[0]] += found[1]
    return ticks


def measured(run: Callable[[], dict], groups=("gunicorn", "postgres")) -> dict:
    """Run `run()` (which returns a dict with "rate" and "seconds") and add the CPU it cost, in ms per
    request: "cpu_ms" for the whole machine, "<group>_ms" for each group. Processes that start and end
    inside the run (wrk, pgbench's own backends) are counted in the machine's figure only."""
    before, busy = _processes(), _machine_busy()
    result = run()
    after, busy = _processes(), _machine_busy() - busy
    requests = result["rate"] * result["seconds"]
    result["cpu_ms"] = busy / TICK / requests * 1000
    for group in groups:
        result[f"{group}_ms"] = (after[group] - before[group]) / TICK / requests * 1000
    return result
