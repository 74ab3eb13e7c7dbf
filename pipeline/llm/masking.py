"""Names -> labels before a remote server sees the conversation, and back in what it writes.

Participants become "[Deelnemer 1]" ("[Participant 1]"), their first names included; every name the session's
pseudonyms.json hides, and the third parties the offline rule detector of `pipeline.privacy` finds (people, places,
schools, institutions; e-mail addresses, phone numbers), become "[Persoon 1]", "[Plaats 1]", ... The same labels as
the pseudonymised draft uses, numbered for this request only: the mapping never leaves this process. Contact details
stay labels in the model's text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.privacy.detect import Detector, RuleDetector
from pipeline.privacy.mapping import NUMBERED, fold, label, name_tokens


class Masker:
    """One conversation's names and their labels, both ways."""

    def __init__(self, participants: Sequence[str], language: str, texts: Sequence[str] = (),
                 detector: Detector | None = None, hidden: Sequence[tuple[str, Sequence[str]]] = ()) -> None:
        """
        Args:
            hidden: (kind, spellings) of the names the session's pseudonyms.json hides (`oogst hide`, and what
                the draft's detector found): labelled whether or not the rules would find them.
        """
        self.language = language
        self._label: dict[str, str] = {}  # folded spelling -> label
        self._original: dict[str, str] = {}  # label -> the spelling to restore
        spellings: list[str] = []
        for number, name in enumerate(participants, 1):
            tag = label("participant", number, language)
            self._original[tag] = name
            first = name.split()[0] if name.split() else name
            for spelling in dict.fromkeys([name, first]):
                if len(spelling) > 1 and fold(spelling) not in self._label:
                    self._label[fold(spelling)] = tag
                    spellings.append(spelling)
        protected = {t for name in participants for t in name_tokens(name)}
        detector = detector or RuleDetector(language)
        counts: dict[str, int] = {}
        for kind, names in hidden:
            given = [n for n in names if len(n) > 1 and fold(n) not in self._label]
            if not given:
                continue
            if kind in NUMBERED:
                counts[kind] = counts.get(kind, 0) + 1
            tag = label(kind, counts.get(kind, 0), language)
            self._original.setdefault(tag, given[0])
            for name in given:
                self._label[fold(name)] = tag
                spellings.append(name)
        for text in texts:
            for span in detector.detect(text):
                key = fold(span.text)
                if not key or key in self._label or key in protected:
                    continue
                if span.kind in NUMBERED:
                    counts[span.kind] = counts.get(span.kind, 0) + 1
                    tag = label(span.kind, counts[span.kind], language)
                    self._original[tag] = span.text
                else:
                    tag = label(span.kind, 0, language)
                self._label[key] = tag
                spellings.append(span.text)
        words = sorted(set(spellings), key=len, reverse=True)
        self._pattern = re.compile(r"(?<![\w@.])(" + "|".join(re.escape(w) for w in words) + r")(?!\w)",
                                   re.IGNORECASE) if words else None
        self._labels = re.compile("|".join(re.escape(t) for t in sorted(self._original, key=len, reverse=True))) \
            if self._original else None

    def text(self, text: str) -> str:
        """`text` with every known name replaced by its label."""
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._label.get(fold(m.group(1)), m.group(1)), text)

    def restore(self, text: str) -> str:
        """The model's text with the labels turned back into names."""
        if self._labels is None:
            return text
        return self._labels.sub(lambda m: self._original[m.group(0)], text)


class NoMasking:
    """A local server or folder: names stay as they are."""

    def text(self, text: str) -> str:
        return text

    def restore(self, text: str) -> str:
        return text
