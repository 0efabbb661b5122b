"""Just enough of the gettext PO format to read the catalogues in locale/, fill the
pseudo-locale's and check them (polib is not a dependency; gettext's tools rewrap on the
next `makemessages`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

# Python's %-placeholders (named or not; not "%%") and str.format's {name}.
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[#0 +-]*\d*(?:\.\d+)?[sdifr]|\{[A-Za-z_][\w.]*\}")
# The markup translators must keep as it is in the source.
TAG = re.compile(r"</?[a-z]+[^>]*>")


@dataclass
class Entry:
    msgid: str
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    comments: list[str] = field(default_factory=list)
    obsolete: bool = False

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


@dataclass
class Catalogue:
    header: str
    header_comments: list[str]
    entries: list[Entry]

    def header_field(self, name: str) -> str:
        for line in self.header.split("\n"):
            if line.startswith(f"{name}:"):
                return line.split(":", 1)[1].strip()
        return ""

    def header_field_set(self, name: str, value: str) -> None:
        lines = [ln for ln in self.header.split("\n") if ln]
        lines = [ln for ln in lines if not ln.startswith(f"{name}:")]
        lines.append(f"{name}: {value}")
        self.header = "\n".join(lines) + "\n"


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def po_read(path: Path) -> Catalogue:
    """Entries in file order; the header (the empty msgid) kept apart."""
    entries: list[Entry] = []
    header, header_comments = "", []
    comments: list[str] = []
    flags: set[str] = set()
    current: Entry | None = None
    part: tuple[str, int] | None = None
    obsolete = False

    def finish() -> None:
        nonlocal current, header, header_comments
        if current is None:
            return
        if current.msgid == "" and current.msgctxt is None:
            header, header_comments = current.msgstr.get(0, ""), current.comments
        else:
            entries.append(current)
        current = None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#~"):
            obsolete, line = True, line[2:].strip()
            if not line:
                continue
        elif line.startswith("#"):
            finish()
            if line.startswith("#,"):
                flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            else:
                comments.append(raw)
            continue
        if not line:
            finish()
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            assert part is not None and current is not None, f"{path}: stray string {raw!r}"
            name, index = part
            value = _unquote(line)
        else:
            value = _unquote(rest) if rest else ""
            if keyword == "msgctxt" or (keyword == "msgid" and current and current.msgid):
                finish()
            if current is None:
                current = Entry(msgid="", flags=flags, comments=comments, obsolete=obsolete)
                flags, comments, obsolete = set(), [], False
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            name, index = ("msgstr", int(match.group(1))) if match else (keyword, 0)
            part = (name, index)
            if name == "msgctxt":
                current.msgctxt = ""
            elif name == "msgstr":
                current.msgstr.setdefault(index, "")
        if name == "msgctxt":
            current.msgctxt = (current.msgctxt or "") + value
        elif name == "msgid":
            current.msgid += value
        elif name == "msgid_plural":
            current.msgid_plural += value
        elif name == "msgstr":
            current.msgstr[index] += value
    finish()
    return Catalogue(header=header, header_comments=header_comments, entries=entries)


def _quote(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    )
    return f'"{escaped}"'


def po_write(path: Path, catalogue: Catalogue) -> None:
    """One line per string; `makemessages` rewraps them the next time it runs."""
    out = [*catalogue.header_comments, 'msgid ""', "msgstr " + _quote(catalogue.header), ""]
    for entry in catalogue.entries:
        if entry.obsolete:
            continue
        out.extend(c for c in entry.comments if not c.startswith("#|"))
        # A fuzzy guess (msgmerge) stays marked until someone checks it; the tests fail on it.
        flags = sorted(entry.flags)
        if flags:
            out.append("#, " + ", ".join(flags))
        if entry.msgctxt is not None:
            out.append("msgctxt " + _quote(entry.msgctxt))
        out.append("msgid " + _quote(entry.msgid))
        if entry.msgid_plural:
            out.append("msgid_plural " + _quote(entry.msgid_plural))
            for index in sorted(entry.msgstr):
                out.append(f"msgstr[{index}] " + _quote(entry.msgstr[index]))
        else:
            out.append("msgstr " + _quote(entry.msgstr.get(0, "")))
        out.append("")
    path.write_text("\n".join(out), encoding="utf-8")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def tags(text: str) -> list[str]:
    return sorted(TAG.findall(text))


def pseudo(text: str) -> str:
    """[[…]] around the message, its placeholders and markup left exactly as they are: with
    the tags taken away, everything a reader sees of the message is inside [[…]]."""
    if not text.strip():
        return text
    return f"[[{text}]]"
