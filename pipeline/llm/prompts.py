"""Session templates, numbered sentences, chunks that fit the model's context, and the messages of each task.

The model always sees the conversation as numbered sentences, `[12] Sanne: wat ze zei.`, and answers in a JSON
schema that cites those numbers. Three tasks:
- `final`: sentences (or grounded candidate points with the sentences they cite) -> summary, insights, actions;
- `condense`: one chunk of a long meeting -> candidate points;
- `merge`: too many candidate points for one request -> fewer points (repeated until they fit).
A template (what counts as an insight in this kind of session) comes first in the system message; the technical
part (the JSON schema and the rules for citations) is the same for every template and added here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pipeline.core.errors import ConfigError
from pipeline.core.language import text_language

TEMPLATES = ("intervisie", "community-of-practice", "learning-network", "team-meeting")
DEFAULT_TEMPLATE = "intervisie"
LANGUAGE_NAMES = {"nl": "Dutch", "en": "English"}


@dataclass(frozen=True)
class Template:
    name: str  # a built-in name, or the path of the user's file
    text: str

    @property
    def digest(self) -> str:
        """Part of the insights stage's cache key: an edited template file redoes the insights."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]


def load_template(choice: str | None, language: str) -> Template:
    """A built-in template in the session's language (`intervisie`, ...), or a plain-text file the user wrote."""
    name = choice or DEFAULT_TEMPLATE
    if name in TEMPLATES:
        folder = resources.files("pipeline.llm") / "templates" / text_language(language)
        return Template(name, (folder / f"{name}.md").read_text(encoding="utf-8"))
    path = Path(name).expanduser()
    if not path.is_file():
        raise ConfigError(f"--llm-template {name}: neither a file nor a built-in template "
                          f"({', '.join(TEMPLATES)}); copy one from pipeline/llm/templates/ and edit it")
    try:
        return Template(str(path), path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the template ({exc}); save it as UTF-8 text") from None


@dataclass(frozen=True)
class Line:
    """One numbered sentence as the model sees it (speaker and text masked when the server is remote)."""

    id: int
    turn: int
    speaker: str
    text: str

    def render(self) -> str:
        return f"[{self.id}] {self.speaker}: {self.text}"


def chunk_lines(lines: Sequence[Line], budget: int, count: Callable[[str], int], overlap_turns: int = 1
                ) -> list[list[Line]]:
    """Consecutive turns in chunks of at most `budget` tokens; each chunk repeats the last turn(s) of the one before.

    Nothing is cut off: a long turn becomes parts of whole sentences (a single sentence longer than the budget
    still gets its own chunk).
    """
    cost = {line.id: count(line.render()) + 1 for line in lines}

    def size(part: Sequence[Line]) -> int:
        return sum(cost[line.id] for line in part)

    pieces: list[list[Line]] = []  # whole turns; a turn over 2/3 of the budget in parts of whole sentences,
    for line in lines:  # so that the overlap (at most 1/3) always fits next to it
        last = pieces[-1] if pieces else []
        if last and last[-1].turn == line.turn and size(last) + cost[line.id] <= budget * 2 // 3:
            last.append(line)
        else:
            pieces.append([line])
    chunks: list[list[Line]] = []
    current: list[Line] = []
    for piece in pieces:
        if current and size(current) + size(piece) > budget:
            chunks.append(current)
            kept = list(dict.fromkeys(line.turn for line in current))[-overlap_turns:] if overlap_turns else []
            overlap = [line for line in current if line.turn in kept]
            while overlap and (size(overlap) > budget // 3 or size(overlap) + size(piece) > budget):
                overlap.pop(0)  # the overlap is the end of the last turn(s), at most a third of a chunk
            current = overlap
        current = current + piece
    if current:
        chunks.append(current)
    return chunks


# ---------------------------------------------------------------- messages

QUOTE_RULE = ("Each quote is copied word for word from the sentence with that number (a whole sentence or a part of "
              "at least three words); never change or join its words.")
FINAL_SCHEMA = ('{"summary": [{"text": "...", "ids": [1, 2]}], '
                '"insights": [{"title": "...", "text": "...", "ids": [3], "quotes": [{"id": 3, "quote": "..."}]}], '
                '"actions": [{"owner": "participant name or null", "text": "...", "due": "when, or null", '
                '"ids": [7]}]}')
POINTS_SCHEMA = ('{"points": [{"kind": "insight or action", "text": "...", "ids": [3, 4], '
                 '"quotes": [{"id": 3, "quote": "..."}], "owner": "participant name or null", '
                 '"due": "when, or null"}]}')


def group_owner(language: str) -> str:
    """The owner of what the whole group takes on ("iedereen", "everyone"): the extractive actions' word."""
    from pipeline.insights.nlp import lexicon

    return str(lexicon(text_language(language))["actions"]["group_owner"])


def _rules(language: str, names: Sequence[str]) -> str:
    return (f"Write every text in {LANGUAGE_NAMES[text_language(language)]}. Cite the numbers of the sentences "
            f"each item rests on in \"ids\". {QUOTE_RULE} An owner is one of the participants "
            f"({', '.join(names)}), \"{group_owner(language)}\" for the whole group, or null. "
            f"Leave out what nobody said; never invent names, numbers or events.")


def _request(template: Template, task: str, schema: str, language: str, names: Sequence[str],
             body: str) -> list[dict[str, str]]:
    """A request: the template, the task, the JSON form of the answer and the rules, then the material."""
    system = (f"{template.text.strip()}\n\n{task} Answer with one JSON object and nothing else, in this form:\n"
              f"{schema}\nEvery insight has one to three quotes. {_rules(language, names)}")
    return [{"role": "system", "content": system}, {"role": "user", "content": body}]


def final_messages(template: Template, language: str, names: Sequence[str], top: int, body: str,
                   from_points: bool) -> list[dict[str, str]]:
    """The request for the summary (3-8 lines), at most `top` insights (most important first) and the actions."""
    source = ("candidate points taken from the parts of one long conversation, followed by the numbered "
              "sentences they cite" if from_points else "the numbered sentences of the conversation")
    return _request(template, f"Task: final. Below are {source}. Write a summary of 3 to 8 lines, the {top} most "
                    f"important insights (most important first; fewer only if the conversation has fewer) and every "
                    f"action point.", FINAL_SCHEMA, language, names, body)


def condense_messages(template: Template, language: str, names: Sequence[str], part: int, parts: int,
                      body: str, per_chunk: int) -> list[dict[str, str]]:
    """The request for the candidate points of one chunk of a long meeting."""
    return _request(template, f"Task: condense. Below is part {part} of {parts} of a long conversation, as "
                    f"numbered sentences (the first lines may repeat the end of the part before). List at most "
                    f"{per_chunk} candidate points of this part: insights and action points.", POINTS_SCHEMA,
                    language, names, body)


def merge_messages(template: Template, language: str, names: Sequence[str], body: str, keep: int
                   ) -> list[dict[str, str]]:
    """The request that merges candidate points saying the same thing and keeps the `keep` most important."""
    return _request(template, f"Task: merge. Below are candidate points from parts of one long conversation, "
                    f"followed by the numbered sentences they cite. Merge points that say the same thing and keep "
                    f"at most {keep}, the most important first; keep every action point.", POINTS_SCHEMA,
                    language, names, body)


def repair_messages(messages: list[dict[str, str]], answer: str, problem: str) -> list[dict[str, str]]:
    """The one repair attempt: the same conversation, the broken answer, and what was wrong with it."""
    return [*messages, {"role": "assistant", "content": answer},
            {"role": "user", "content": f"That answer is not valid JSON ({problem}). Answer again with only the "
                                        f"JSON object in the form asked, nothing before or after it."}]
