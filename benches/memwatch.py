#!/usr/bin/env python3
"""Sample the memory of a running process tree until its root exits (benches/compare.sh).

    memwatch.py PID [INTERVAL_SECONDS]

Every INTERVAL (default 0.01 s) reads /proc/<pid>/status of PID and all its descendants and
keeps, per field, the largest value seen in any one process: VmHWM (the kernel's own peak
resident set, exact), RssAnon (resident anonymous memory: heap, stacks, what the process
allocated), RssFile (resident file-backed pages: the binary, and a memory-mapped input's page
cache pages) and RssShmem. RssAnon and RssFile are sampled, so a peak shorter than the
interval can be missed. Prints `vm_hwm_kb=.. rss_anon_kb=.. rss_file_kb=.. rss_shmem_kb=..
samples=..` on stdout once PID is gone. Run it beside GNU time (it waits for no one and
uses a few ms of CPU per second on the other core).
"""

import os
import sys
import time

FIELDS = ("VmHWM", "RssAnon", "RssFile", "RssShmem")


def children(pid):
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out.extend(int(c) for c in f.read().split())
    except OSError:
        pass
    return out


def status(pid):
    values = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                name, _, rest = line.partition(":")
                if name in FIELDS:
                    values[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return values


def main():
    root = int(sys.argv[1])
    interval = float(sys.argv[2]) if len(sys.argv) > 2 else 0.01
    peak = dict.fromkeys(FIELDS, 0)
    samples = 0
    while os.path.exists(f"/proc/{root}"):
        stack = [root]
        while stack:
            pid = stack.pop()
            for name, value in status(pid).items():
                peak[name] = max(peak[name], value)
            stack.extend(children(pid))
        samples += 1
        time.sleep(interval)
    print(
        f"vm_hwm_kb={peak['VmHWM']} rss_anon_kb={peak['RssAnon']} "
        f"rss_file_kb={peak['RssFile']} rss_shmem_kb={peak['RssShmem']} samples={samples}"
    )


if __name__ == "__main__":
    main()
