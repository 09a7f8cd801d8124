"""`scan --json` written as it is found: each file's artefacts as soon as they are final.

The document has the keys `Inventory.to_dict()` builds (docs/scan.md), in a different order:
`artifacts` first (streamed while the tree is still being read), then the lists only the
whole tree decides, and last the verdict and summary, which depend on everything. A JSON
object's keys have no order, so a parser sees the same document; memory holds no list of
artefact dicts, and an internal error still ends the document (verdict `error`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from certmatch.model import Artefact
from certmatch.scan.index import Index
from certmatch.scan.inventory import Inventory, set_dict
from certmatch.scan.records import ScannedFile

_BATCH = 256  # list items encoded per write
_FLUSH_CHARS = 1 << 16  # text gathered before one write (a write per file cost 22 us each)


class JsonStream:
    """Writes one scan document to `out`: `artefacts()` per file, then `finish()` or `fail()`."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.written = 0  # artefacts written so far
        self.started = False
        self._comma = False  # the open list has an item already
        self._pending: list[str] = []
        self._pending_chars = 0
        self._open: str | None = None  # the list being written
        self._done: set[str] = set()  # the lists written and closed

    def _write(self, text: str) -> None:
        self._pending.append(text)
        self._pending_chars += len(text)
        if self._pending_chars >= _FLUSH_CHARS:
            self.flush()

    def flush(self) -> None:
        self.out.write("".join(self._pending))
        self._pending = []
        self._pending_chars = 0

    def _start(self) -> None:
        if not self.started:
            self._write('{"artifacts": [')
            self._open = "artifacts"
            self.started = True

    def on_file(self, index: Index, record: ScannedFile) -> None:
        """The new artefacts of `index` (those of `record`), in their index order."""
        self._start()
        new = index.artifacts[self.written :]
        self.written = len(index.artifacts)
        # The workers encoded each artefact already (and a repeat's JSON is its first
        # copy's, renamed), so this process only writes.
        self._items(record.encoded if len(record.encoded) == len(new) else map(_artefact_json, new))

    def _items(self, encoded: Iterable[str]) -> None:
        batch: list[str] = []
        for text in encoded:
            batch.append(text)
            if len(batch) >= _BATCH:
                self._write_batch(batch)
                batch = []
        if batch:
            self._write_batch(batch)

    def _write_batch(self, batch: list[str]) -> None:
        self._write((", " if self._comma else "") + ", ".join(batch))
        self._comma = True

    def _list(self, key: str, items: Iterable[Any]) -> None:
        self._write(f', "{key}": [')
        self._open = key
        self._comma = False
        self._items(json.dumps(item) for item in items)
        self._close()

    def _close(self) -> None:
        """End the open list (items are written whole, so it ends at an item boundary)."""
        if self._open is not None:
            self._write("]")
            self._done.add(self._open)
            self._open = None

    def finish(self, inv: Inventory) -> None:
        """Everything after the artefacts, which only the whole tree decides."""
        self._start()
        self._close()
        self._list("pairs", (p.to_dict() for p in inv.pairs))
        self._list("findings", (f.to_dict() for f in inv.findings))
        self._list("orphans", inv.orphans)
        self._list("sets", (set_dict(s) for s in inv.sets))
        self._list("regenerated", ({"cn": cn, "sets": list(s)} for cn, s in inv.regenerated))
        self._list("expiring", inv.expiring)
        self._list("expired", inv.expired)
        self._list("problems", (p.to_dict() for p in inv.problems))
        tail = {
            "expiring_days": inv.expiring_days,
            "verdict": inv.verdict.value,
            "summary": inv.summary,
            "profile": inv.profile,
            "files": inv.files,
        }
        self._write(", " + json.dumps(tail)[1:] + "\n")
        self.flush()

    def fail(self, message: str, profile: str) -> None:
        """End a document an internal error interrupted, wherever it was: what was written
        stays, the lists not reached are empty, the verdict is `error`."""
        self._start()
        self._close()
        for key in _LISTS:
            if key not in self._done:
                self._list(key, ())
        tail = {"verdict": "error", "summary": message, "profile": profile}
        self._write(", " + json.dumps(tail)[1:] + "\n")
        self.flush()


_LISTS = (
    "pairs",
    "findings",
    "orphans",
    "sets",
    "regenerated",
    "expiring",
    "expired",
    "problems",
)


def _artefact_json(artefact: Artefact) -> str:
    return json.dumps(artefact.to_dict())
