"""Content-addressed reply cache: one JSON file per request, named by the sha256 of the
model, the messages and the sampling parameters.

The endpoint's address is left out of the key on purpose: a folder recorded against one
server replays against any other (or none, with `replay_dir`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def cache_key(model: str, messages: list[dict[str, str]], params: dict[str, Any]) -> str:
    blob = json.dumps(
        {"model": model, "messages": messages, "params": params},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _ensure_ignored(folder: Path) -> None:
    """Keep the user's `git status` clean: the `.perfopt/` state folder ignores itself."""
    for parent in (folder, *folder.parents):
        if parent.name == ".perfopt":
            ignore = parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n", encoding="utf-8")
            return


class ReplyCache:
    def __init__(self, folder: Path, *, read_only: bool = False) -> None:
        self.folder = Path(folder)
        self.read_only = read_only

    def path(self, key: str) -> Path:
        # two-character fan-out keeps any one folder small after many runs
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> list[str] | None:
        try:
            data = json.loads(self.path(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None  # a torn or hand-edited entry is a miss, not a crash
        replies = data.get("replies") if isinstance(data, dict) else None
        if not isinstance(replies, list) or not all(isinstance(r, str) for r in replies):
            return None
        return replies

    def put(
        self,
        key: str,
        model: str,
        messages: list[dict[str, str]],
        params: dict[str, Any],
        replies: list[str],
    ) -> None:
        if self.read_only:
            return
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        _ensure_ignored(self.folder)
        record = {"key": key, "model": model, "params": params, "messages": messages,
                  "replies": replies}
        # write-then-rename: parallel candidates never see half a file
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(record, fh, ensure_ascii=False, indent=1)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
