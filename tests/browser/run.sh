#!/usr/bin/env bash
# Browser test of the HTML report: headless Chromium (Debian's `chromium`) loads the report
# of the bundled sample and of a message whose subject holds markup; the rendered DOM must
# hold every message, the verdict counts of the JSON output and, for every tampered message,
# the bytes of its evidence spans highlighted (tests/browser/check_dom.py); Chromium's
# network log must show no request at all, and its console no Content-Security-Policy
# violation.
#
#   tests/browser/run.sh                 # installs chromium with apt-get when missing
#   SCREENSHOT=docs/report.png tests/browser/run.sh   # also a screenshot of the sample's page
#
# Skips (exit 0, with a clear message) when Chromium is missing and cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "browser test: installing Debian's chromium"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/tmp/mailsleuth-apt.log 2>&1 \
      || echo "browser test: apt-get install chromium failed (see /tmp/mailsleuth-apt.log)"
  fi
fi
if ! command -v chromium >/dev/null 2>&1; then
  echo "browser: SKIPPED: chromium is not installed and could not be installed (apt-get install chromium)"
  exit 0
fi
command -v python3 >/dev/null 2>&1 || { echo "browser test: python3 is needed"; exit 1; }
chromium --version 2>/dev/null || true

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --quiet --example scan
scan=target/debug/examples/scan

# Headless Chromium with nothing of its own that reaches the network, a fresh profile, a
# network log and the console on stderr.
browse() { # OUT_NETLOG OUT_ERR ARGS...
  local netlog="$1" err="$2"
  shift 2
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-default-apps --no-first-run --no-default-browser-check \
    --user-data-dir="$(mktemp -d -p "$work")" \
    --log-net-log="$netlog" --net-log-capture-mode=Everything \
    --enable-logging=stderr --v=0 "$@" 2>"$err"
}

# No request made by the page in the network log. The page comes from file://, which is
# not a network request; every request the page starts has the page's (opaque) origin as
# its initiator, `null`. Chromium's own requests (clock, updates, accounts; refused on an
# offline machine) have no origin: `not an origin`.
no_network() { # NETLOG
  python3 - "$1" <<'PY'
import json, sys
log = json.load(open(sys.argv[1], encoding="utf-8", errors="replace"))
types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
page, own = [], 0
for e in log.get("events", []):
    p = e.get("params") or {}
    if types.get(e.get("type")) != "URL_REQUEST_START_JOB" or "url" not in p:
        continue
    if p.get("initiator") == "not an origin":
        own += 1
    else:
        page.append(f"{p['url']} (initiator {p.get('initiator')})")
if page:
    print("FAIL: the page made network requests:", *page[:20], sep="\n  ")
    sys.exit(1)
print(f"network log: no request from the page ({own} of Chromium's own, not the page's)")
PY
}

no_csp_violation() { # STDERR
  if grep -i "content security policy" "$1"; then
    echo "FAIL: Content-Security-Policy violations (above)"
    return 1
  fi
}

status=0

echo "== the network check itself: a page that loads an image and a style sheet must fail it"
printf '<img src="http://127.0.0.1:9/x.png"><link rel=stylesheet href="http://127.0.0.1:9/a.css">' >"$work/leak.html"
browse "$work/net0.json" "$work/chromium0.err" --dump-dom "file://$work/leak.html" >/dev/null
if no_network "$work/net0.json" >"$work/net0.out"; then
  echo "FAIL: the network check did not see the requests of a leaking page"
  status=1
else
  echo "network check: sees a leaking page's requests ($(grep -c 127.0.0.1 "$work/net0.out") found)"
fi

echo "== the sample's report"
"$scan" --keys examples/data/keys.keymap --html "$work/sample.html" examples/data/sample.mbox \
  >"$work/sample.jsonl" 2>"$work/scan.err"
start=$(date +%s.%N)
browse "$work/net.json" "$work/chromium.err" --dump-dom "file://$work/sample.html" >"$work/sample.dom"
end=$(date +%s.%N)
echo "rendered and dumped in $(python3 -c "print(round($end - $start, 2))") s"
python3 tests/browser/check_dom.py "$work/sample.dom" "$work/sample.jsonl" examples/data/sample.mbox || status=1
no_network "$work/net.json" || status=1
no_csp_violation "$work/chromium.err" || status=1
# The DOM check itself: a scan output the page does not show must fail it.
sed -e 's/"index":3,/"index":999,/' -e 's/"verdict":"unverified"/"verdict":"verified"/' \
  "$work/sample.jsonl" >"$work/wrong.jsonl"
if python3 tests/browser/check_dom.py "$work/sample.dom" "$work/wrong.jsonl" examples/data/sample.mbox >"$work/wrong.out"; then
  echo "FAIL: the DOM check accepted a page that does not match the scan"
  status=1
else
  echo "DOM check: rejects a page that does not match the scan ($(grep -c FAIL "$work/wrong.out") problems found)"
fi

echo "== a subject with markup"
{
  printf 'From mallory@example.org Tue May  2 07:30:00 2017\n'
  printf 'From: <script>document.title="pwned"</script> <a@example.org>\n'
  printf 'From: Mallory <m@example.org>\n'
  printf 'Date: Tue, 2 May 2017 09:30:00 +0200\n'
  printf 'Subject: <img src="http://127.0.0.1:9/x.png"><script>document.body.remove()</script>\n'
  printf 'Message-ID: <x@example.org>\n\n<b>body</b>\n'
} >"$work/markup.mbox"
"$scan" --html "$work/markup.html" "$work/markup.mbox" >"$work/markup.jsonl" 2>/dev/null
browse "$work/net2.json" "$work/chromium2.err" --dump-dom "file://$work/markup.html" >"$work/markup.dom"
python3 tests/browser/check_dom.py "$work/markup.dom" "$work/markup.jsonl" "$work/markup.mbox" \
  --expect-text '<img src="http://127.0.0.1:9/x.png"><script>document.body.remove()</script>' || status=1
if grep -q "<title>pwned" "$work/markup.dom"; then echo "FAIL: markup from the dump ran"; status=1; fi
no_network "$work/net2.json" || status=1
no_csp_violation "$work/chromium2.err" || status=1

if [ -n "${SCREENSHOT:-}" ]; then
  browse "$work/net3.json" "$work/chromium3.err" --window-size=1400,1800 --hide-scrollbars \
    --screenshot="$work/shot.png" "file://$work/sample.html" >/dev/null
  cp "$work/shot.png" "$SCREENSHOT"
  echo "screenshot: $SCREENSHOT"
fi

if [ "$status" = 0 ]; then
  echo "browser: 4 passed, 0 failed"
else
  echo "browser: FAILED"
fi
exit "$status"
