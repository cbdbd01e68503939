"""The bot's own data files (bot/data/*.yaml), parsed with libyaml's C loader when present.

The pure-Python safe loader takes ~0.3 s for the glossary alone, on every start; the C one parses
the same files into the same values in a few milliseconds. These files are ours and trusted:
user-supplied YAML (imports, forms) keeps its own stricter loaders.
"""

from __future__ import annotations

from importlib import resources
from typing import Any


def load_yaml(name: str) -> Any:
    """`bot/data/<name>` as Python values (parsed only on a cache miss, see bot.compiled_cache)."""
    import yaml  # lazy: heavy optional dependency (a CLI call with warm caches parses no YAML)

    text = resources.files("bot").joinpath(f"data/{name}").read_text("utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
