#!/usr/bin/env python3
"""Summarize a `scan` JSON Lines report for the soak test of benches/compare.sh.

    check_scan.py REPORT.jsonl [DKIMPY_RESULTS]

Prints one line on stdout:
    messages=N length_sum=L signed=S dkim_pass=P gaps_ok verdicts=v:n,...  results=r:n,...
where `signed` counts messages with at least one DKIM signature and `dkim_pass` those whose
first signature (`dkim[0]`, the topmost, the one dkimpy checks) has `result == "pass"`.
With DKIMPY_RESULTS (benches/dkimpy_verify.py's per-message file), also compares, message by
message, mailsleuth's `dkim[0].result == "pass"` with dkimpy's verdict, and prints on stderr
every message where they differ (index, mailsleuth's result and repair, dkimpy's reason),
then `disagreements=D` on stdout.
"""

import collections
import json
import sys


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    messages = length = signed = passed = 0
    verdicts = collections.Counter()
    results = collections.Counter()
    first = {}
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["index"] != messages:
                print(f"check_scan: index {r['index']} at line {messages + 1}", file=sys.stderr)
            messages += 1
            length += r["length"]
            verdicts[r["verdict"]] += 1
            if r["dkim"]:
                signed += 1
                d = r["dkim"][0]
                results[d["result"]] += 1
                passed += d["result"] == "pass"
                first[r["index"]] = d
    fmt = lambda c: ",".join(f"{k}:{v}" for k, v in sorted(c.items()))  # noqa: E731
    out = (
        f"messages={messages} length_sum={length} signed={signed} dkim_pass={passed} "
        f"verdicts={fmt(verdicts)} results={fmt(results)}"
    )
    if len(sys.argv) == 3:
        disagree = 0
        seen = set()
        with open(sys.argv[2], encoding="utf-8") as f:
            for line in f:
                index, verdict, reason = (line.rstrip("\n").split(" ", 2) + [""])[:3]
                index = int(index)
                seen.add(index)
                d = first.get(index)
                ours = d is not None and d["result"] == "pass"
                if ours != (verdict == "pass"):
                    disagree += 1
                    ms = "no signature" if d is None else f"{d['result']} (repair {d['repair']})"
                    print(f"disagree: message {index}: mailsleuth {ms}, dkimpy {verdict} {reason}",
                          file=sys.stderr)
        for index in sorted(set(first) - seen):
            disagree += 1
            print(f"disagree: message {index}: signed for mailsleuth, not seen signed by dkimpy",
                  file=sys.stderr)
        out += f" disagreements={disagree}"
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
