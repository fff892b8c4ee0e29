"""The judge: an offline faithfulness checker that grades answers against their sources.

Independent of the answer-time verifier in ``rag.verify`` (which is part of what we
evaluate). ``core`` reads claims and sources (words, numbers, names, embeddings, structure);
``config`` holds its features and the weights fitted on RAGTruth (``weights.json``); ``llm``
is its optional Yes/No step through a local model (prompts in ``prompts/judge_*.txt``).
"""

from eval.judge.config import FEATURES_FAST, FEATURES_LLM, FITTED, JudgeConfig
from eval.judge.core import (
    NEGATIONS,
    STOPWORDS,
    STRUCTURE_SCORE,
    AnswerSpan,
    ClaimVerdict,
    FaithfulnessEvaluator,
    Judge,
    SourceSpan,
    Token,
    Verdict,
    Verdicts,
    build_judge,
    check,
    claim_spans,
    default_embedder,
    llm_logit,
    record_to_text,
    split_sentences,
    stem,
    structure_conflict,
    tokenize,
    weighted_logit,
)
from eval.judge.llm import LlamaYesNo, load_llm

__all__ = [
    "FEATURES_FAST",
    "FEATURES_LLM",
    "FITTED",
    "NEGATIONS",
    "STOPWORDS",
    "STRUCTURE_SCORE",
    "AnswerSpan",
    "ClaimVerdict",
    "FaithfulnessEvaluator",
    "Judge",
    "JudgeConfig",
    "LlamaYesNo",
    "SourceSpan",
    "Token",
    "Verdict",
    "Verdicts",
    "build_judge",
    "check",
    "claim_spans",
    "default_embedder",
    "llm_logit",
    "load_llm",
    "record_to_text",
    "split_sentences",
    "stem",
    "structure_conflict",
    "tokenize",
    "weighted_logit",
]
