"""The judge's LLM step: a local model asked one claim at a time for a strict Yes/No.

P(Yes) is read from the logits of the first answer token (``rag.llm.last_logits``), never
from sampled text. Its prompt is in ``prompts/judge_*.txt``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import prompts
from rag.llm import last_logits, single_token_ids

if TYPE_CHECKING:
    from rag.settings import Settings


class LlamaYesNo:
    """Ask a llama.cpp model "is this claim supported?" and read P(Yes) from its logits.

    The sources go first in the prompt and the claim last, so consecutive claims about the same
    sources reuse llama.cpp's KV cache: each extra claim costs only its own few tokens.
    """

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self.yes_ids = single_token_ids(llm, ("Yes", " Yes", "yes", " yes", "YES"))
        self.no_ids = single_token_ids(llm, ("No", " No", "no", " no", "NO"))
        if not self.yes_ids or not self.no_ids:
            raise ValueError("the LLM's vocabulary has no single-token Yes/No")
        self.chatml = len(llm.tokenize(b"<|im_start|>", add_bos=False, special=True)) == 1

    def prompt(self, source: str, claim: str, question: str | None = None) -> str:
        """The whole prompt (prompts/judge_system.txt, judge_claim.txt), in the model's chat
        format when it has ChatML tokens."""
        system = prompts.load("judge_system")
        asked = prompts.render("judge_question", question=question) + "\n\n" if question else ""
        user = prompts.render("judge_claim", source=source, question=asked, claim=claim)
        if self.chatml:
            return (
                f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n"
                f"{user}<|im_end|>\n<|im_start|>assistant\n"
            )
        return f"{system}\n\n{user}\nAnswer:"

    def p_yes(self, source: str, claim: str, question: str | None = None) -> float:
        """P(Yes) / (P(Yes) + P(No)) for the first answer token."""
        logits = self._last_logits(self.prompt(source, claim, question))
        top = float(np.max(logits))
        yes = float(np.sum(np.exp(logits[self.yes_ids] - top)))
        no = float(np.sum(np.exp(logits[self.no_ids] - top)))
        return yes / (yes + no) if yes + no > 0 else 0.5

    def _last_logits(self, prompt: str) -> np.ndarray:
        tokens = self.llm.tokenize(prompt.encode(), add_bos=True, special=True)
        return last_logits(self.llm, tokens)


def load_llm(
    settings: Settings | None = None,
    model: str = "qwen2.5-coder-1.5b-instruct",
    n_ctx: int = 4096,
    n_threads: int | None = None,
) -> LlamaYesNo:
    """A :class:`LlamaYesNo` over a registry GGUF model that is already pulled (loaded by
    ``rag.llm.logit_model``: the judge reads logits, it does not chat)."""
    from rag.llm import logit_model
    from rag.settings import Settings

    settings = settings or Settings()
    if n_threads:
        settings = settings.model_copy(update={"llm_threads": n_threads})
    return LlamaYesNo(logit_model(settings, model, n_ctx))
