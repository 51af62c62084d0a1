"""The headline "Answer this" proposes for a reader's question: a short question.

A column headline is the question the answer settles ("Why does my skin flake in winter?"),
so the proposal is the reader's own question, trimmed: the greeting dropped, the first
sentence that asks something (or else the first sentence), cut at a clause or word boundary
when it is long, and ending in a question mark. Staff edit it before publishing; its slug
is made from whatever headline they publish.
"""

from __future__ import annotations

import re

HEADLINE_MAX = 120
# A cut shorter than this would say too little; cut at a word instead.
CLAUSE_MIN = 40

_GREETING = re.compile(
    r"^(?:dear|hi|hello|hey|good (?:morning|afternoon|evening))\b[^,!?:\n]{0,40}[,!:]\s*",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
# A full stop after these does not end a sentence ("Dr. Hale", "e.g. retinol").
_ABBREVIATIONS = {"dr", "mr", "mrs", "ms", "prof", "st", "e.g", "i.e", "etc", "vs", "approx"}
_CLAUSE_BREAK = re.compile(r"\s*(?:[,;:]|\s[-–—])\s")
# Words a trimmed headline should not end on ("… with a?").
_DANGLING = {
    "a",
    "an",
    "and",
    "as",
    "at",
    "but",
    "by",
    "for",
    "from",
    "in",
    "is",
    "it",
    "my",
    "of",
    "on",
    "or",
    "so",
    "that",
    "the",
    "to",
    "with",
}
_TRAILING = " .,;:!?…-–—\"'"


def _sentences(text: str) -> list[str]:
    pieces = _SENTENCE_END.split(text)
    sentences: list[str] = []
    for piece in pieces:
        if sentences:
            last_word = sentences[-1].rsplit(" ", 1)[-1].rstrip(".").lower()
            if sentences[-1].endswith(".") and last_word in _ABBREVIATIONS:
                sentences[-1] = f"{sentences[-1]} {piece}"
                continue
        sentences.append(piece)
    return [s for s in sentences if s]


def _shorten(text: str) -> str:
    """Cut `text` to HEADLINE_MAX - 1 characters at a clause break, or else at a word."""
    room = HEADLINE_MAX - 1
    if len(text) <= room:
        return text
    head = text[: room + 1]
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(head) if m.start() >= CLAUSE_MIN]
    if breaks:
        return head[: breaks[-1]]
    cut = head.rsplit(" ", 1)[0] if " " in head[:room] else head[:room]
    return cut[:room]


def _tidy_end(text: str, cut: bool) -> str:
    text = text.rstrip(_TRAILING)
    if not cut:
        return text
    words = text.split(" ")
    while len(words) > 1 and words[-1].lower().rstrip(_TRAILING) in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(_TRAILING)


def propose_headline(text: str, question_id: int) -> str:
    """Turn a reader's question into a headline: one short question ending in "?"."""
    flat = " ".join(text.split())
    flat = _GREETING.sub("", flat, count=1)
    sentences = _sentences(flat)
    asking = [s for s in sentences if s.rstrip(" \"'").endswith("?")]
    chosen = (asking or sentences or [""])[0]
    short = _shorten(chosen)
    headline = _tidy_end(short, cut=short != chosen)
    if not any(ch.isalnum() for ch in headline):
        return f"What is reader #{question_id} asking?"
    return f"{headline[0].upper()}{headline[1:]}?"
