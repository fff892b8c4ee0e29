"""Plain-text prompt templates, loaded by name; placeholders are ``{name}``."""

from __future__ import annotations

import functools
import string
from importlib import resources


@functools.cache
def load(name: str) -> str:
    """The template ``prompts/<name>.txt``, without its trailing newline."""
    return resources.files(__package__).joinpath(f"{name}.txt").read_text("utf-8").rstrip("\n")


def placeholders(name: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(load(name)) if f}


def render(name: str, **values: str) -> str:
    """Fill a template; a missing or extra value is a bug, so it raises."""
    wanted = placeholders(name)
    if wanted != set(values):
        raise KeyError(f"prompt {name!r} wants {sorted(wanted)}, got {sorted(values)}")
    return load(name).format(**values)
