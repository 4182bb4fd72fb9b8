#!/usr/bin/env python3
"""Check the DOM that headless Chromium rendered from a `scan --html` page against the
scan's own JSON Lines and the dump's bytes.

usage: check_dom.py DOM.html REPORT.jsonl DUMP [--expect-text TEXT]...

Checks: the script ran (the table counts the messages); every message of the JSON output is
a row of the rendered table, with its subject as text; each verdict card shows the count of
the JSON output; every evidence span of every tampered message is covered by highlighted
<mark> elements whose text is the text of its bytes; only the page's two script elements
exist; no element that loads anything. Exits 1 with the first problems found."""

import json
import sys
from collections import Counter
from html.parser import HTMLParser

LOADERS = {"img", "iframe", "object", "embed", "link", "video", "audio", "source", "image", "use", "frame", "base", "form"}


class Dom(HTMLParser):
    """The few things the checks read from the rendered document."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []          # open elements: (tag, attrs)
        self.rows = {}           # table row index -> text of its cells
        self.cards = {}          # verdict -> count text
        self.marks = {}          # section index -> [(start, end, text)]
        self.count_text = ""
        self.scripts = 0
        self.loaders = []
        self._row = None
        self._card = None
        self._mark = None
        self._section = None
        self._count = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in LOADERS or (tag != "a" and "src" in a):
            self.loaders.append((tag, a))
        if tag == "script":
            self.scripts += 1
        if tag == "div" and "vrow" in a.get("class", "").split() and "data-index" in a:
            self._row = int(a["data-index"])
            self.rows[self._row] = []
        if tag == "button" and "card" in a.get("class", "").split() and "data-verdict" in a:
            self._card = a["data-verdict"]
            self.cards[self._card] = ""
        if tag == "section" and "ev" in a.get("class", "").split():
            self._section = int(a["data-index"])
            self.marks.setdefault(self._section, [])
        if tag == "mark" and self._section is not None:
            self._mark = [int(a["data-start"]), int(a["data-end"]), ""]
        if a.get("id") == "f-count":
            self._count = True
        if tag not in ("meta", "input", "br", "hr", "wbr", "col", "area", "source", "track", "link", "img", "rect", "line"):
            self.stack.append((tag, a))

    def handle_endtag(self, tag):
        while self.stack:
            t, a = self.stack.pop()
            if t == "div" and "vrow" in a.get("class", "").split() and "data-index" in a:
                self._row = None
            if t == "button" and "data-verdict" in a:
                self._card = None
            if t == "section" and "ev" in a.get("class", "").split():
                self._section = None
            if t == "mark" and self._mark is not None:
                self.marks[self._section].append(tuple(self._mark))
                self._mark = None
            if a.get("id") == "f-count":
                self._count = False
            if t == tag:
                break

    def handle_data(self, data):
        if self._row is not None:
            self.rows[self._row].append(data)
        if self._card is not None and self.stack and self.stack[-1][1].get("class") == "count":
            self.cards[self._card] += data
        if self._mark is not None:
            self._mark[2] += data
        if self._count:
            self.count_text += data


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    dom_path, jsonl_path, dump_path = args[:3]
    expect_text = [args[i + 1] for i, a in enumerate(args) if a == "--expect-text" and i + 1 < len(args)]
    dom = Dom()
    with open(dom_path, encoding="utf-8") as f:
        text = f.read()
    dom.feed(text)
    with open(jsonl_path, encoding="utf-8") as f:
        reports = [json.loads(line) for line in f if line.strip()]
    with open(dump_path, "rb") as f:
        dump = f.read()
    problems = []

    n = len(reports)
    if not dom.count_text.startswith(f"{n} messages"):
        problems.append(f"the table's count says {dom.count_text!r}, the scan has {n} messages (did the script run?)")
    for r in reports:
        i = r["index"]
        if i not in dom.rows:
            problems.append(f"message {i} is not a row of the rendered table")
            continue
        subject = r["subject"] or ""
        if subject and subject not in "".join(dom.rows[i]):
            problems.append(f"message {i}: subject {subject!r} not in its row {dom.rows[i]!r}")
    verdicts = Counter(r["verdict"] for r in reports)
    for v, count in verdicts.items():
        if dom.cards.get(v, "").strip() != str(count):
            problems.append(f"verdict {v}: card shows {dom.cards.get(v)!r}, the scan counts {count}")
    for v, shown in dom.cards.items():
        if v not in verdicts and shown.strip() != "0":
            problems.append(f"verdict {v}: card shows {shown!r}, the scan has none")

    tampered = [r for r in reports if r["verdict"] == "tampered"]
    spans_checked = 0
    for r in tampered:
        i = r["index"]
        if i not in dom.marks:
            problems.append(f"tampered message {i} has no evidence section")
            continue
        marks = sorted(dom.marks[i])
        for k in r["verdict_because"]:
            f = r["findings"][k]
            for start, end in f["evidence"]:
                at, got = start, ""
                for s, e, t in marks:
                    if s == at and e <= end:
                        got += t
                        at = e
                if at != end:
                    problems.append(f"message {i} {f['code']}: bytes [{start}, {end}) highlighted only up to {at}")
                    continue
                want = dump[start:end].decode("utf-8", "replace").replace("\r", "")
                if got != want:
                    problems.append(f"message {i} {f['code']}: highlighted text differs from the bytes [{start}, {end})")
                spans_checked += 1

    if dom.scripts != 2:
        problems.append(f"{dom.scripts} script elements, the page has 2")
    for tag, a in dom.loaders:
        problems.append(f"an element that loads something: <{tag} {a}>")
    for t in expect_text:
        if not any(t in "".join(cells) for cells in dom.rows.values()):
            problems.append(f"{t!r} is not shown as text in the table")

    if problems:
        for p in problems[:40]:
            print("FAIL:", p)
        return 1
    print(f"DOM ok: {n} rows, verdicts {dict(verdicts)}, {len(tampered)} tampered messages, {spans_checked} evidence spans highlighted on their bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
