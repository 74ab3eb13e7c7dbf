"""Frog (CLST, Radboud University; ILK, Tilburg University; GPL-3) as a separate process that Oogst (MIT) only runs.

One child process per `Frog` object, started on first use and kept warm for every later call, never linked or
imported. It runs on a pipe (`frog` reading stdin) rather than as `frog -S PORT`, because Frog 0.20's server
listens on every network interface, forks a process per connection and ignores SIGTERM while a connection is open;
on a pipe Frog ends by itself when its stdin closes, so it cannot outlive Oogst.

Framing: on stdin Frog analyses one paragraph (lines up to an empty line) at a time, so each text goes as its own
paragraph, followed by a paragraph holding only SENTINEL; that one-token sentence marks the end of the text's
sentences, whatever Frog's sentence splitter did inside it. Frog writes through an 8 KB buffer that it flushes only
when full, so each round ends with PAD paragraphs whose output pushes everything before them out; pad sentences
are skipped when read.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import re
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pipeline.analysis.types import Sentence, Token, split_morphemes, split_tag
from pipeline.core.errors import OogstError
from pipeline.core.language import text_language
from pipeline.core.lock import stop_process

log = logging.getLogger(__name__)

INSTALL = "install Debian's frog, frogdata and uctodata: sudo apt-get install frog frogdata uctodata"
SENTINEL = "OOGSTGRENS"
PAD = "OOGSTVULLING"
# Each pad sentence prints at least ~45 bytes; 256 of them are over 11 KB, more than Frog's 8 KB output buffer.
PAD_COUNT = 256
_PADDING = f"{PAD}\n\n" * PAD_COUNT
MODULES = {"t": "tokens", "l": "lemmas", "a": "morphology", "c": "chunks", "m": "multi-word units",
           "n": "entities", "p": "dependencies"}
# What Oogst needs: tokens, sentences, tags (always on), lemmas, entities, dependencies (the parser needs the
# multi-word units). Morphology and the chunker are skipped: see the README's Frog section for what they cost.
DEFAULT_SKIP = "ac"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_OURS = re.compile(f"{SENTINEL}|{PAD}")


class FrogError(OogstError):
    """Frog is missing, would not start, stopped or did not answer; the message says what to do."""


def _prefix(binary: str) -> Path | None:
    found = shutil.which(binary)
    return Path(found).resolve().parent.parent if found else None


def missing(binary: str = "frog") -> str | None:
    """What is missing for Frog to run (the program, its Dutch data, Ucto's Dutch rules), or None."""
    prefix = _prefix(binary)
    if prefix is None:
        return f"the Frog program ({binary}) is not installed"
    if not (prefix / "share" / "frog" / "nld" / "frog.cfg").is_file():
        return f"Frog's Dutch data is missing ({prefix / 'share' / 'frog' / 'nld'})"
    if not (prefix / "share" / "ucto" / "tokconfig-nld").is_file():
        return "Ucto's Dutch tokeniser rules are missing (Debian: sudo apt-get install uctodata)"
    return None


def available(binary: str = "frog") -> bool:
    """Is the `frog` program there with its Dutch data (frogdata) and the tokeniser rules (uctodata)?"""
    return missing(binary) is None


@functools.cache
def versions(binary: str = "frog") -> tuple[str, str]:
    """Frog's version (`frog --version`) and frogdata's (its pkg-config file); "unknown" when not found."""
    prefix = _prefix(binary)
    if prefix is None:
        raise FrogError(f"{binary}: not found; {INSTALL}")
    with tempfile.TemporaryDirectory(prefix="oogst-frog-") as workdir:  # Frog cleans debug files in its cwd
        done = subprocess.run([binary, "--version"], cwd=workdir, capture_output=True, text=True, timeout=60)
    match = re.search(r"frog (\S+)", done.stdout + done.stderr)
    data = "unknown"
    for pc in [*prefix.glob("lib/pkgconfig/frogdata.pc"), *prefix.glob("lib/*/pkgconfig/frogdata.pc")]:
        if found := re.search(r"^Version:\s*(\S+)", pc.read_text(encoding="utf-8"), flags=re.M):
            data = found.group(1)
            break
    return (match.group(1) if match else "unknown"), data


def clean(text: str) -> str:
    """A text as one paragraph line for Frog: no line breaks or control characters, and never our own markers."""
    return _OURS.sub("Oogst", _CONTROL.sub(" ", text)).strip()


class _Died(Exception):
    pass


class Frog:
    """A warm Frog child process: `analyse(texts)` sends many texts in one round trip and keeps them apart.

    Safe to share between threads (one call at a time); after a fork the child process starts its own Frog.

    Args:
        skip: Frog modules to switch off (`--skip`): a morphology, c chunker, n entities, p parser, m multi-word.
        threads: Frog's `--threads` (it parallelises inside a sentence: lemma/morphology, entities/chunks, the
            parser's three classifiers).
        timeout: seconds one round trip (at most `chunk_chars` of text) may take once Frog runs.
        startup_timeout: seconds Frog may take to load its models (≈5-15 s; more on a busy machine).
        max_parser_tokens: longer sentences are tagged but not parsed (`--max-parser-tokens`).
    """

    def __init__(self, *, skip: str = DEFAULT_SKIP, binary: str = "frog", threads: int = 1,
                 timeout: float = 120.0, startup_timeout: float = 300.0, chunk_chars: int = 40000,
                 max_parser_tokens: int | None = None) -> None:
        unknown = set(skip) - set(MODULES)
        if unknown:
            raise ValueError(f"unknown Frog modules to skip: {''.join(sorted(unknown))} (known: {''.join(MODULES)})")
        self.skip = "".join(sorted(set(skip)))
        self.binary = binary
        self.threads = threads
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self.chunk_chars = chunk_chars
        self.max_parser_tokens = max_parser_tokens
        self.startup_seconds: float | None = None  # how long the last start took (models loaded, first answer)
        self._lock = threading.RLock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._owner = 0  # the pid of the process that started Frog
        self._workdir: str | None = None
        self._buffer = b""

    # -- public -------------------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """The Frog process's id while it runs (started by this process), else None."""
        proc = self._proc
        return proc.pid if proc is not None and self._owner == os.getpid() and proc.poll() is None else None

    def describe(self) -> dict[str, Any]:
        """The engine for cache keys and artefacts: Frog's and frogdata's versions and the modules used."""
        frog, data = versions(self.binary)
        used = [name for letter, name in MODULES.items() if letter not in self.skip]
        return {"engine": "frog", "version": frog, "data": data, "modules": ["tags", *used],
                **({"max_parser_tokens": self.max_parser_tokens} if self.max_parser_tokens else {})}

    def start(self) -> None:
        """Start Frog now (it loads its models) rather than on the first `analyse`."""
        with self._lock:
            if self.pid is None:
                self._start()

    def analyse(self, texts: Sequence[str], progress: Callable[[float], None] | None = None) -> list[list[Sentence]]:
        """Each text's sentences, in the order given; an empty text has none."""
        cleaned = [clean(t) for t in texts]
        results: list[list[Sentence]] = [[] for _ in texts]
        todo = [i for i, t in enumerate(cleaned) if t]
        with self._lock:
            if todo and self.pid is None:
                self._start()
            done = 0
            for chunk in self._chunks(todo, cleaned):
                for i, sentences in zip(chunk, self._round_with_restart([cleaned[i] for i in chunk]), strict=True):
                    results[i] = sentences
                done += len(chunk)
                if progress is not None:
                    progress(done / len(todo))
        return results

    def close(self, *, wait: float = 3.0) -> None:
        """Stop Frog: close its stdin (it ends by itself within `wait` s), else SIGTERM, then SIGKILL; remove its
        work folder."""
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is not None and self._owner == os.getpid():
                for stream in (proc.stdin, proc.stdout):
                    try:
                        if stream is not None:
                            stream.close()
                    except OSError:
                        pass
                try:
                    proc.wait(timeout=wait)
                except subprocess.TimeoutExpired:
                    stop_process(proc, grace=3)
            if self._workdir is not None and self._owner == os.getpid():
                shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
            self._buffer = b""
            atexit.unregister(self.close)

    def __enter__(self) -> Frog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the process ----------------------------------------------------------------------------------------
    def _command(self) -> list[str]:
        cmd = [self.binary, f"--threads={self.threads}"]
        if self.skip:
            cmd.append(f"--skip={self.skip}")
        if self.max_parser_tokens:
            cmd.append(f"--max-parser-tokens={self.max_parser_tokens}")
        return cmd

    def _start(self) -> None:
        if self._proc is not None and self._owner != os.getpid():
            self._proc = None  # inherited through a fork: the parent's pipes, not ours to use or stop
        if self._proc is not None:
            self.close()
        if problem := missing(self.binary):
            raise FrogError(f"Frog is not available: {problem}; {INSTALL}")
        self._workdir = tempfile.mkdtemp(prefix="oogst-frog-")
        started = time.monotonic()
        with open(Path(self._workdir) / "frog.log", "wb") as err:
            # own session: a Ctrl-C meant for Oogst does not kill Frog halfway through an answer
            self._proc = subprocess.Popen(self._command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=err, cwd=self._workdir, start_new_session=True)
        self._owner = os.getpid()
        self._buffer = b""
        atexit.register(self.close)
        log.info("starting Frog (pid %d): %s", self._proc.pid, " ".join(self._command()))
        try:
            self._round(["Ja."], self.startup_timeout)  # answers once the models are loaded
        except _Died:
            reason = self._log_tail()
            self.close()
            raise FrogError(f"Frog would not start ({reason}); {INSTALL}") from None
        except FrogError:
            self.close()
            raise
        self.startup_seconds = time.monotonic() - started
        log.info("Frog ready in %.1f s", self.startup_seconds)

    def _log_tail(self) -> str:
        try:
            text = (Path(self._workdir or "") / "frog.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "no log"
        lines = [line.strip() for line in text.splitlines() if line.strip() and "removing old debug" not in line]
        return " | ".join(lines[-3:]) or f"exit code {self._proc.poll() if self._proc else '?'}"

    def _chunks(self, todo: list[int], cleaned: list[str]) -> list[list[int]]:
        chunks: list[list[int]] = []
        size = 0
        for i in todo:
            if not chunks or size + len(cleaned[i]) > self.chunk_chars:
                chunks.append([])
                size = 0
            chunks[-1].append(i)
            size += len(cleaned[i])
        return chunks

    def _round_with_restart(self, texts: list[str]) -> list[list[Sentence]]:
        try:
            return self._round(texts, self.timeout)
        except _Died:
            log.warning("Frog stopped (%s); starting it again", self._log_tail())
        self._start()
        try:
            return self._round(texts, self.timeout)
        except _Died:
            reason = self._log_tail()
            self.close()
            raise FrogError(f"Frog stopped twice while analysing ({reason}); {INSTALL}") from None

    def _round(self, texts: list[str], timeout: float) -> list[list[Sentence]]:
        """Send the texts (cleaned, none empty) and read each one's sentences."""
        proc = self._proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        payload = "".join(f"{text}\n\n{SENTINEL}\n\n" for text in texts) + _PADDING
        writer = threading.Thread(target=_write, args=(proc.stdin, payload.encode("utf-8", "replace")), daemon=True)
        writer.start()  # a thread: Frog's answers must be read while a long batch is still being written
        deadline = time.monotonic() + timeout
        results: list[list[Sentence]] = [[]]
        blocks: deque[bytes] = deque()  # complete sentences read but not yet looked at
        fd = proc.stdout.fileno()
        while len(results) <= len(texts):
            if not blocks:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.close(wait=0)  # hung or swamped: no point waiting for it to finish
                    raise FrogError(f"Frog did not answer within {timeout:.0f} s ({len(texts)} texts); it was "
                                    "stopped and starts again on the next call")
                ready, _, _ = select.select([fd], [], [], min(left, 1.0))
                if ready:
                    data = os.read(fd, 1 << 16)
                    if not data:
                        raise _Died
                    *complete, self._buffer = (self._buffer + data).split(b"\n\n")
                    blocks.extend(complete)
                continue
            sentence = parse_sentence(blocks.popleft().decode("utf-8", errors="replace"))
            words = [t.text for t in sentence.tokens]
            if words == [SENTINEL]:
                results.append([])
            elif words != [PAD] and sentence.tokens:
                results[-1].append(sentence)
        if blocks:  # padding read ahead: back in front of the rest, the next round skips it
            self._buffer = b"\n\n".join([*blocks, self._buffer])
        writer.join(timeout=1)
        return results[: len(texts)]


def _write(stream: Any, data: bytes) -> None:
    try:
        stream.write(data)
        stream.flush()
    except (BrokenPipeError, ValueError, OSError):
        pass  # Frog died: the reader sees the end of its output


_shared: Frog | None = None
RULES = "rules"  # the analysis without Frog: the word lists of the insights' lexicons
_warned: set[str] = set()


def choose(language: str) -> tuple[Frog | None, dict[str, Any] | str]:
    """The analyser of a session's language and its description for cache keys and insights.json: Frog for Dutch
    when it is installed; otherwise None and "rules" (today's word lists), said once per process in one line."""
    if text_language(language) != "nl":
        return None, RULES
    problem = missing()
    if problem is not None:
        if problem not in _warned:
            _warned.add(problem)
            log.warning("%s: Dutch is read with the word lists instead of Frog's analysis; %s", problem, INSTALL)
        return None, RULES
    frog = shared_frog()
    return frog, frog.describe()


def shared_frog() -> Frog:
    """The Frog of this process (one per worker), created on first use with the default modules."""
    global _shared
    if _shared is None or (_shared._proc is not None and _shared._owner != os.getpid()):
        _shared = Frog()
    return _shared


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
