"""The judge's configuration: features, fitted weights and thresholds, switches.

Why apart from the judge's code: the weights are data, refit on RAGTruth's tuning split
(``newsrag eval ragtruth --tune`` writes a config JSON; ``--judge-config`` loads one), and the
shipped ones are read from ``weights.json`` so a refit changes no code.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any, Literal

FEATURES_FAST: tuple[str, ...] = (
    "coverage",
    "missing_content",
    "missing_numbers",
    "missing_names",
    "negated_only",
    "local_coverage",
    "emb_max",
    "neg_mismatch",
    "length",
)
FEATURES_LLM: tuple[str, ...] = ("fast_logit", "llm_logit")


# The fitted weights and thresholds live in weights.json beside this file (refit with
# `newsrag eval ragtruth --tune`): "fast" without the LLM step, "llm" with it.
FITTED: dict[str, Any] = json.loads(
    resources.files(__package__).joinpath("weights.json").read_text("utf-8")
)
_FAST, _LLM = FITTED["fast"], FITTED["llm"]


@dataclass
class JudgeConfig:
    """Weights, thresholds and switches. ``threshold`` applies to the hallucination score.

    The defaults are the fast (no LLM) judge fitted on RAGTruth's tuning split;
    :meth:`with_llm` gives the configuration fitted with the LLM step.
    """

    weights_fast: dict[str, float] = field(default_factory=lambda: dict(_FAST["weights"]))
    weights_llm: dict[str, float] = field(default_factory=dict)
    threshold: float = _FAST["threshold"]
    task_thresholds: dict[str, float] = field(
        default_factory=lambda: dict(_FAST["task_thresholds"])
    )
    # per-claim hallucination probability to call it unsupported
    claim_threshold: float = _FAST["claim_threshold"]
    llm_band: tuple[float, float] = (0.0, 1.0)  # ask the LLM only inside this fast-score band
    llm_max_claims: int = 3  # and about at most this many claims per answer
    span_mode: Literal["sentence", "clause"] = "sentence"
    max_source_chars: int = 12000
    # Read claims and sources for structure (names by role, numbers by noun, polarity): a
    # claim that contradicts them is "conflicting" whatever the fitted mix says.
    structure: bool = True

    @classmethod
    def with_llm(cls) -> JudgeConfig:
        """The configuration fitted with the LLM step (qwen2.5-coder-1.5b-instruct)."""
        return cls(
            weights_llm=dict(_LLM["weights"]),
            threshold=_LLM["threshold"],
            task_thresholds=dict(_LLM["task_thresholds"]),
            claim_threshold=_LLM["claim_threshold"],
            llm_band=tuple(_LLM["llm_band"]),
        )

    def threshold_for(self, task: str | None) -> float:
        return self.task_thresholds.get(task or "", self.threshold)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> JudgeConfig:
        data = json.loads(text)
        if "llm_band" in data:
            data["llm_band"] = tuple(data["llm_band"])
        return cls(**data)
