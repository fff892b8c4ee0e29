"""tiktoken without network: use the cl100k_base file that llama-index-core ships."""

from __future__ import annotations

import functools
import os
from pathlib import Path


@functools.cache
def encoding():  # -> tiktoken.Encoding
    """The cl100k_base encoding, read from llama-index-core's bundled cache."""
    import llama_index.core

    cache = Path(llama_index.core.__file__).parent / "_static" / "tiktoken_cache"
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache))
    import tiktoken

    return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    return len(encoding().encode_ordinary(text))
