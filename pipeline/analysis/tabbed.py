"""Frog's tab-separated output as typed sentences: one line per token, an empty line after each sentence.

Columns: index, word, lemma, morphemes ("[resulteer][aat][en]"), CGN tag, confidence, entity (IOB), chunk (IOB),
head (1-based, 0 the root), relation. Multi-word units come as one line joined by "_" ("Den_Haag").
"""

from __future__ import annotations

import re

from .types import Sentence, Token, split_morphemes, split_tag


def _columns(line: str) -> tuple[list[str], int | None, str]:
    """One line of Frog's tab-separated output as [word, lemma, morphemes, CGN tag, confidence, entity, chunk],
    the head (0-based; -1 the root; None not parsed) and the relation.

    Frog 0.20 prints one extra empty column for each of the last modules it skipped (skip the chunker and you get
    "O, '', '', 2, su"), so the tail is read from both ends: head and relation are the last two columns when the
    parser ran, the entity comes first when NER ran, the chunk is the next filled column."""
    cols = line.rstrip("\r").split("\t")
    cols += [""] * (6 - len(cols))
    tail = cols[6:]
    head: int | None = None
    relation = ""
    if len(tail) >= 2 and tail[-2].isdigit() and tail[-1]:
        head, relation = int(tail[-2]) - 1, tail[-1]
        tail = tail[:-2]
    entity = tail[0] if tail else ""
    chunk = next((c for c in tail[1:] if c), "")
    return [*cols[1:6], entity, chunk], head, relation


def _token(fields: list[str], head: int | None, relation: str) -> Token:
    text, lemma, morph, cgn, confidence, entity, chunk = fields
    tag, features = split_tag(cgn)
    return Token(text=text, lemma=lemma or text, morph=split_morphemes(morph), tag=tag, tag_features=features,
                 confidence=round(float(confidence or 0.0), 3), entity="" if entity == "O" else entity,
                 chunk="" if chunk == "O" else chunk, head=head if head is not None and head >= 0 else None,
                 relation=relation)


def _split_unit(fields: list[str]) -> list[list[str]]:
    """A multi-word unit ("Den_Haag", tags "SPEC(deeleigen)_SPEC(deeleigen)") as one field list per word."""
    n = len(fields[3].split("_"))
    if n == 1 or len(fields[0].split("_")) != n:
        return [fields]
    split = [value.split("_") for value in fields]
    return [[parts[i] if len(parts) == n else (value if k == 4 else "") for k, (value, parts) in
             enumerate(zip(fields, split, strict=True))] for i in range(n)]


def parse_sentence(block: str) -> Sentence:
    """One sentence of Frog's output. Multi-word units become one token per word: the first keeps the unit's head
    and relation, the others hang from it with relation "mwp" (as in Alpino), and heads are renumbered."""
    units = [_columns(line) for line in block.split("\n") if line.strip()]
    first: list[int] = []  # unit index -> index of its first word
    words: list[tuple[list[str], int, int]] = []  # fields, unit index, part number
    for u, (fields, _, _) in enumerate(units):
        first.append(len(words))
        words.extend((part, u, k) for k, part in enumerate(_split_unit(fields)))
    tokens = []
    for fields, u, k in words:
        head, relation = units[u][1], units[u][2]
        if k:
            head, relation = (first[u], "mwp") if relation else (None, "")
        elif head is not None and 0 <= head < len(first):
            head = first[head]
        tokens.append(_token(fields, head, relation))
    return Sentence(tuple(tokens))


def parse_output(output: str) -> list[Sentence]:
    """Frog's tab-separated output (sentences separated by an empty line) as sentences."""
    return [parse_sentence(block) for block in re.split(r"\n\s*\n", output) if block.strip()]
