"""A speech recogniser in a child process, so a person's cancel or pause stops transcription within a second.

A call into the recogniser (CTranslate2 encoding and beam search over a batch of eight 30-second chunks) cannot be
interrupted from Python and takes tens of seconds on a busy 2-core machine: a stop flag read between segments
waits for the batch to end (44-47 s measured). The worker therefore keeps its recogniser in a child process: the
model is loaded there once and stays loaded between jobs; the audio goes over in pieces of about 10 minutes as the
recogniser asks for them (so the child never holds the whole recording); segments come back one by one. While
waiting, the worker asks `check` (the job's `Reporter.check`) four times a second; when it raises, the child is
killed at once and started again, with its model, for the next job. What the checkpoint holds stays: a resumed
transcription redoes only the batch that was under way (at most `batch_size` chunks of 30 s of speech).
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from pipeline.asr.options import Backend, TranscribeOptions
from pipeline.core.types import SAMPLE_RATE, Segment

log = logging.getLogger(__name__)

TICK = 0.25  # seconds between two looks at `check` while the child works
ATTRIBUTES = ("name", "model_name", "model_sha256", "precision")  # what transcript.json records of the backend


class RecogniserGone(RuntimeError):
    """The child process ended without being asked to (killed from outside, out of memory)."""


def default_backend(opts: TranscribeOptions) -> Backend:
    from pipeline.asr.transcribe import get_backend

    return get_backend(opts)


class IsolatedBackend:
    """A `Backend` whose model lives in a child process that is killed when `check` raises (see the module doc)."""

    def __init__(self, opts: TranscribeOptions, *, make: Callable[[TranscribeOptions], Backend] = default_backend,
                 tick: float = TICK) -> None:
        """Start the child and load the model there (its `OogstError`, such as a missing model, is raised here).

        Args:
            make: builds the backend in the child; a module-level function (it is imported there by name).
        """
        self.opts = opts
        self.make = make
        self.tick = tick
        self.check: Callable[[], None] | None = None  # set per job by the worker
        self.name = self.model_name = ""
        self.model_sha256: str | None = None
        self.precision: str | None = None
        self._process: Any = None
        self._conn: Connection | None = None
        self._busy = False
        self._start()

    # -- the child's life ----------------------------------------------------------------------------------------
    def _start(self, *, interruptible: bool = False) -> None:
        # A new interpreter (`python -m pipeline.asr.isolated FD`), not a fork of a process with threads and a loaded
        # model, nor multiprocessing's spawn (which would import the caller's main module again).
        import socket
        import subprocess
        import sys
        from pathlib import Path

        import pipeline

        mine, theirs = socket.socketpair()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(pipeline.__file__).resolve().parents[1]),
                                                           *filter(None, [os.environ.get("PYTHONPATH")])]))
        process = subprocess.Popen([sys.executable, "-m", "pipeline.asr.isolated", str(theirs.fileno())],
                                   pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL)
        theirs.close()
        conn = Connection(mine.detach())
        self._process, self._conn = process, conn
        try:
            conn.send(list(sys.path))
            conn.send((self.opts, self.make))
            kind, payload = self._receive(interruptible=interruptible)  # the model loads
        except BaseException:
            self.stop()
            raise
        if kind == "error":
            self.stop()
            raise payload
        for key in ATTRIBUTES:
            setattr(self, key, payload.get(key))

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else int(self._process.pid)

    def stop(self) -> None:
        """Kill the child now (what it was doing is lost; the next `transcribe` starts a new one)."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        self._busy = False
        if process is not None:
            process.kill()
            process.wait(10)
        if conn is not None:
            conn.close()

    def _receive(self, *, interruptible: bool = True) -> tuple[str, Any]:
        assert self._conn is not None and self._process is not None
        while not self._conn.poll(self.tick):
            if interruptible and self.check is not None:
                self.check()  # raises Interrupted: the caller's `finally` kills the child
            if self._process.poll() is not None and not self._conn.poll(0):
                break
        try:
            return tuple(self._conn.recv())  # type: ignore[return-value]
        except (EOFError, OSError):
            code = self._process.poll()
            raise RecogniserGone(f"the speech recogniser's process ended (exit code {code}); see the server log, "
                                 "and run the job again") from None

    # -- Backend ---------------------------------------------------------------------------------------------
    def transcribe(self, audio: np.ndarray, opts: TranscribeOptions) -> tuple[str, Iterator[Segment]]:
        """The language used and the segments, computed in the child; `check` is asked while waiting for either."""
        from pipeline.asr.backends.faster_whisper import PIECE_SECONDS
        from pipeline.ingest.audio import audio_chunks

        if not self.alive or self._busy:  # gone, or an earlier run's segments were never read to the end
            self.stop()
            self._start(interruptible=True)  # a stop while the model loads again counts too
        self._busy = True
        assert self._conn is not None
        pieces = iter(audio_chunks(audio, PIECE_SECONDS))
        self._conn.send(("transcribe", opts))
        try:  # the first piece's voice detection (and language detection) comes before the language
            kind, language = self._next(audio, pieces)
            if kind != "language":
                raise RuntimeError(f"the speech recogniser answered {kind!r} before the language")
        except BaseException:
            self.stop()
            raise

        def segments() -> Iterator[Segment]:
            done = False
            try:
                while True:
                    kind, payload = self._next(audio, pieces)
                    if kind == "done":
                        done, self._busy = True, False
                        return
                    yield payload
            finally:
                if not done:  # stopped (Interrupted, a signal) or abandoned: the child may be mid-batch
                    self.stop()

        return str(language), segments()

    def _next(self, audio: np.ndarray, pieces: Iterator[tuple[int, int]]) -> tuple[str, Any]:
        """The child's next segment, language or end, giving it the next piece of audio whenever it asks."""
        while True:
            kind, payload = self._receive()
            if kind == "piece":
                assert self._conn is not None
                span = next(pieces, None)
                self._conn.send(None if span is None else (span[0] / SAMPLE_RATE, audio[span[0]:span[1]]))
                continue
            if kind == "error":
                raise payload
            return kind, payload


# -- the child ---------------------------------------------------------------------------------------------------
def serve(conn: Connection) -> None:
    """The child process: load the backend, then transcribe what the parent sends until the pipe closes."""
    import sys

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on `oogst serve` reaches the whole group: the parent decides
    _die_with_parent()
    try:
        sys.path[:] = conn.recv()  # where the parent found `make` (a test's scripted backend, say)
        opts, make = conn.recv()
        backend = make(opts)
    except Exception as exc:
        conn.send(("error", _sendable(exc)))
        return
    conn.send(("ready", {key: getattr(backend, key, None) for key in ATTRIBUTES}))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):  # the parent went away
            return
        _, asked = request
        try:
            language, segments = _transcribe(conn, backend, asked)
            conn.send(("language", language))
            for segment in segments:
                conn.send(("segment", segment))
            conn.send(("done", None))
        except (EOFError, OSError, BrokenPipeError):
            return
        except Exception as exc:
            log.exception("transcription failed in the recogniser's process")
            conn.send(("error", _sendable(exc)))


def _die_with_parent() -> None:
    """On Linux, the kernel kills this process when the worker dies (even by SIGKILL): no batch runs on unasked."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _transcribe(conn: Connection, backend: Backend, opts: TranscribeOptions) -> tuple[str, Iterator[Segment]]:
    def pieces() -> Iterator[tuple[float, np.ndarray]]:
        while True:
            conn.send(("piece", None))
            piece = conn.recv()
            if piece is None:
                return
            yield piece

    by_pieces = getattr(backend, "transcribe_pieces", None)
    if by_pieces is not None:
        return by_pieces(pieces(), opts)  # type: ignore[no-any-return]
    whole = [samples for _, samples in pieces()]
    return backend.transcribe(np.concatenate(whole) if whole else np.zeros(0, np.float32), opts)


def _sendable(exc: Exception) -> Exception:
    """The exception itself when it survives pickling (an `OogstError` keeps its key and parameters), else its text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


__all__ = ["IsolatedBackend", "RecogniserGone"]

if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.WARNING, format="oogst recogniser: %(levelname)s: %(message)s")
    serve(Connection(int(sys.argv[1])))
