"""Derived data kept between runs: what the bot computes from its own data files at start-up
(the glossary's stemmed phrases), stored with marshal in the user's cache directory.

Each entry is keyed by a hash of everything it is computed from (the data file and the code that
derives it), so an edited glossary or a new stemmer is never served stale; an unreadable or
unwritable cache only means computing again. `NORCRIN_CACHE_DIR` moves the directory.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import platformdirs

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    configured = os.environ.get("NORCRIN_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_cache_dir("norcrin-bot", appauthor=False))


def fingerprint(parts: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()[:24]


def cached(name: str, key: str, build: Callable[[], Any]) -> Any:
    """`build()`'s value, from `<cache dir>/<name>-<key>.marshal` when an earlier run stored it.
    The value must be marshal-able (dicts, tuples, strings …)."""
    path = cache_dir() / f"{name}-{key}.marshal"
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        pass
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{name}-")
        with os.fdopen(handle, "wb") as out:
            out.write(marshal.dumps(value))
        os.replace(temporary, path)  # readers see the old file or the whole new one
    except (OSError, ValueError) as exc:
        log.debug("cannot store %s in the cache (%s)", name, exc)
    return value
