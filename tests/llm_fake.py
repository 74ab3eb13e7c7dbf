"""A real HTTP server on loopback that speaks the chat-completions protocol and answers from a script.

    with FakeChatServer(lambda request: Reply(content='{"summary": []}')) as server:
        backend = LLMBackend(HttpChat(server.url, "fake"))

`script` gets each request's JSON body and returns a `Reply` (the assistant's text, or an HTTP status, or a delay).
Helpers below read what Oogst sent (the task, the numbered sentences, the candidate points) so a script can answer
like a model that cites correctly, or one that makes things up.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pipeline.testing import WordHashEncoder


@dataclass
class Reply:
    content: str | None = None  # the assistant message
    status: int = 200
    delay: float = 0.0  # seconds before answering
    body: str | None = None  # a raw response body instead of a chat completion


class FakeChatServer:
    def __init__(self, script: Callable[[dict[str, Any]], Reply]) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                server.paths.append(self.path)
                server.headers.append(dict(self.headers))
                if not self.path.endswith("/v1/chat/completions"):
                    return self._send(404, '{"error": "not found"}')
                reply = server.script(body)
                time.sleep(reply.delay)
                if reply.body is not None or reply.status != 200:
                    return self._send(reply.status, reply.body or '{"error": {"message": "scripted failure"}}')
                return self._send(200, json.dumps({
                    "id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion", "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": reply.content}}]}))

            def _send(self, status: int, text: str) -> None:
                data = text.encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def tasks(self) -> list[str]:
        return [task(r) for r in self.requests]


# ---------------------------------------------------------------- reading a request

def task(request: dict[str, Any]) -> str:
    """ "final", "condense", "merge", or "repair" (the second try after invalid JSON)."""
    if request["messages"][-1]["role"] == "user" and len(request["messages"]) > 2:
        return "repair"
    found = re.search(r"Task: (\w+)\.", request["messages"][0]["content"])
    return found.group(1) if found else "?"


def sentences(request: dict[str, Any]) -> dict[int, tuple[str, str]]:
    """The numbered sentences in the request: id -> (speaker, text)."""
    text = request["messages"][1]["content"]
    return {int(m.group(1)): (m.group(2), m.group(3))
            for m in re.finditer(r"^\[(\d+)\] ([^:\n]+): (.*)$", text, flags=re.M)}


def participants(request: dict[str, Any]) -> list[str]:
    found = re.search(r"one of the participants \(([^)]*)\)", request["messages"][0]["content"])
    return [n.strip() for n in found.group(1).split(",")] if found else []


def substantive(said: dict[int, tuple[str, str]], n: int, min_words: int = 8) -> list[int]:
    """`n` ids of longer statements, spread over what was shown."""
    ids = [i for i, (_, text) in said.items() if len(text.split()) >= min_words and not text.endswith("?")]
    if len(ids) <= n:
        return ids
    return [ids[round(k * (len(ids) - 1) / max(n - 1, 1))] for k in range(n)]


def cite(i: int, said: dict[int, tuple[str, str]]) -> dict[str, Any]:
    return {"id": i, "quote": said[i][1]}


def grounded_final(request: dict[str, Any], n_insights: int = 7) -> dict[str, Any]:
    """What a model that cites correctly answers to a `final` request."""
    said = sentences(request)
    chosen = substantive(said, n_insights)
    return {"summary": [{"text": f"Gesprek over {said[i][1][:40]}", "ids": [i]} for i in chosen[:3]],
            "insights": [{"title": f"Punt {k}", "text": said[i][1], "ids": [i], "quotes": [cite(i, said)]}
                         for k, i in enumerate(chosen, 1)],
            "actions": [{"owner": said[chosen[0]][0], "text": "Het protocol rondsturen", "due": "vrijdag",
                         "ids": [chosen[0]]}] if chosen else []}


def grounded_points(request: dict[str, Any], n: int = 3) -> dict[str, Any]:
    """What a model that cites correctly answers to a `condense` or `merge` request."""
    said = sentences(request)
    if task(request) == "merge":
        cited = [int(m.group(1)) for m in re.finditer(r"^P\d+ \([^;]*; sentences (\d+)", request["messages"][1]
                                                      ["content"], flags=re.M)]
        chosen = cited[: max(1, len(cited) // 2)]
    else:
        chosen = substantive(said, n)
    return {"points": [{"kind": "insight", "text": said[i][1], "ids": [i], "quotes": [cite(i, said)]}
                       for i in chosen]}


HashEncoder = WordHashEncoder  # the encoder stand-in that ships in pipeline.testing
