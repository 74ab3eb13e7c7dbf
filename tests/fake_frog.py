"""A stand-in for Debian's `frog` on stdin, for fast tests of the client's framing, restarts and timeouts.

Like Frog 0.20 it reads paragraphs (lines up to an empty line), splits sentences after . ! ?, prints one
tab-separated line per word (index, word, lemma, morphemes, tag, confidence, entity, chunk, head, relation) and a
blank line per sentence, and writes through an 8 KB buffer it flushes only when full. Words steer it: STERF exits
(once, if FAKE_FROG_ONCE names a file that does not exist yet; always otherwise), SLAAP hangs.
`install(folder)` lays out bin/frog plus the data files `missing()` looks for.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

BUFFER = 8192


def install(folder: Path) -> Path:
    """folder/bin/frog (this script), folder/share/frog/nld/frog.cfg and folder/share/ucto/tokconfig-nld."""
    binary = folder / "bin" / "frog"
    binary.parent.mkdir(parents=True, exist_ok=True)
    binary.write_text(f"#!{sys.executable}\n" + Path(__file__).read_text(encoding="utf-8"), encoding="utf-8")
    binary.chmod(0o755)
    for data in (folder / "share" / "frog" / "nld" / "frog.cfg", folder / "share" / "ucto" / "tokconfig-nld"):
        data.parent.mkdir(parents=True, exist_ok=True)
        data.write_text("fake\n", encoding="utf-8")
    return binary


def _sentences(paragraph: str) -> list[list[str]]:
    sentences: list[list[str]] = [[]]
    for word in paragraph.split():
        sentences[-1].append(word)
        if word[-1] in ".!?":
            sentences.append([])
    return [s for s in sentences if s]


def main() -> None:
    if "--version" in sys.argv:
        print("frog 0.20 (c) CLTS, ILK 1998 - 2020 (fake)")
        return
    out = sys.stdout.buffer
    pending = bytearray()
    lines: list[str] = []
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8").rstrip("\n")
        if line:
            lines.append(line)
            continue
        if not lines:
            continue
        paragraph, lines = " ".join(lines), []
        if "STERF" in paragraph.split():
            once = os.environ.get("FAKE_FROG_ONCE")
            if not once or not Path(once).exists():
                if once:
                    Path(once).touch()
                os._exit(3)
        if "SLAAP" in paragraph.split():
            time.sleep(3600)
        for sentence in _sentences(paragraph):
            for i, word in enumerate(sentence, 1):
                tag = "LET()" if not word.isalnum() else "SPEC(deeleigen)" if word[0].isupper() else "N(soort,ev)"
                head = 0 if i == 1 else 1
                pending += f"{i}\t{word}\t{word.lower()}\t\t{tag}\t0.9\tO\t\t\t{head}\t{'ROOT' if i == 1 else 'mod'}\n"\
                    .encode()
            pending += b"\n"
            while len(pending) >= BUFFER:
                out.write(pending[:BUFFER])
                out.flush()
                del pending[:BUFFER]
    out.write(pending)
    out.flush()


if __name__ == "__main__":
    main()
