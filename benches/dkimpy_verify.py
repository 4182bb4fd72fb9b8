#!/usr/bin/env python3
"""Verify every DKIM-signed message of an mbox with dkimpy, offline: the peer of mailsleuth's
DKIM verification in benches/compare.sh.

    dkimpy_verify.py KEYMAP MBOX [RESULTS]

Reads MBOX with Python's mailbox.mbox (message bytes as `get_bytes` gives them: the stored
bytes between separators, without the separator line and the empty line before the next one,
line endings LF as stored, `>From ` quoting kept), and for every message with a
DKIM-Signature field runs `dkim.DKIM(msg).verify(dnsfunc=...)`, which checks the first
(topmost) signature, as mailsleuth's `dkim[0]` is. dnsfunc answers from KEYMAP (the keymap
format of examples/data/keys.keymap: `<selector>._domainkey.<domain> <TXT value>
[annotations]`), so nothing touches the network; a name it does not hold is NXDOMAIN.
dkimpy turns LF into CRLF itself (rfc822_parse), so it hashes the same CRLF form that the
signer signed and that mailsleuth verifies after its `crlf` repair.

Prints one line on stdout:
    messages=N signed=S pass=P fail=F index_cpu=A verify_cpu=B
and, on stderr, the failure reasons by exception class. RESULTS (optional) gets one line per
signed message: `<index> pass|fail <reason>`, index as in mailsleuth's report (0-based, dump
order), for a per-message comparison.
"""

import collections
import mailbox
import sys
import time

import dkim

ANNOTATIONS = ("valid-from=", "valid-until=", "private-key-published=")


def load_keymap(path):
    records = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, value = line.partition(" ")
            words = [w for w in value.split() if not w.startswith(ANNOTATIONS)]
            # The first record under a name wins (the generator writes one per name).
            records.setdefault(name.lower().rstrip(".") + ".", " ".join(words).encode())
    return records


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    records = load_keymap(sys.argv[1])

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return records.get(name.lower())

    c0 = time.process_time()
    box = mailbox.mbox(sys.argv[2], create=False)
    keys = box.keys()
    c1 = time.process_time()
    results = open(sys.argv[3], "w", encoding="utf-8") if len(sys.argv) == 4 else None
    signed = passed = 0
    reasons = collections.Counter()
    for index, key in enumerate(keys):
        msg = box.get_bytes(key)
        end = msg.find(b"\n\n")
        head = msg if end < 0 else msg[: end + 1]
        if b"\ndkim-signature:" not in b"\n" + head.lower():
            continue
        signed += 1
        try:
            ok = dkim.DKIM(msg).verify(dnsfunc=dnsfunc)
            reason = "" if ok else "signature-invalid"
        except Exception as e:  # dkimpy signals most failures by exceptions
            ok = False
            reason = type(e).__name__ + ": " + str(e).split("(")[0].strip()
        if ok:
            passed += 1
        else:
            reasons[reason] += 1
        if results:
            results.write(f"{index} {'pass' if ok else 'fail'} {reason}\n")
    c2 = time.process_time()
    if results:
        results.close()
    print(
        f"messages={len(keys)} signed={signed} pass={passed} fail={signed - passed} "
        f"index_cpu={c1 - c0:.2f} verify_cpu={c2 - c1:.2f}"
    )
    for reason, n in reasons.most_common():
        print(f"dkimpy: {n} x {reason}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
