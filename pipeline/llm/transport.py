"""How Oogst talks to a generative model: an OpenAI-compatible chat-completions server, or a local model folder.

Both give `chat(messages) -> str` and a token count for fitting chunks into the context. A failure (server down,
timeout, HTTP error, a folder that does not load) is an `LLMError` whose message names the server and the cause;
the backend turns it into one warning line and the extractive result.

Privacy: a server URL is accepted only when its host is this machine or a private network (loopback, 10/8,
172.16/12, 192.168/16, link-local, IPv6 unique-local); any other needs `allow_remote` (`--allow-remote`).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from pipeline.core.errors import ConfigError, OogstError

log = logging.getLogger(__name__)

DEFAULT_CONTEXT = 4096  # tokens; Ollama's default context is 2048-4096 and it cuts longer prompts silently
DEFAULT_TIMEOUT = 300.0  # seconds per request: a CPU model can take minutes for one chunk
DEFAULT_MAX_TOKENS = 1024  # tokens reserved for each answer
LOCAL_CONTEXT = 8192  # a model folder's default context on the CPU


class LLMError(OogstError):
    """The model could not be used (unreachable, timed out, HTTP error, unreadable answer): the message names the
    server and the cause."""


class ChatModel(Protocol):
    max_tokens: int  # tokens reserved for the answer
    requests: int  # requests sent so far (recorded in insights.json's timings)

    @property
    def name(self) -> str:
        """The model name (recorded in insights.json)."""
        ...

    @property
    def server(self) -> str:
        """Where it runs: a URL or a folder (recorded, and named in error messages)."""
        ...

    @property
    def context(self) -> int:
        """Tokens the model reads at most (prompt + answer)."""
        ...

    def count(self, text: str) -> int: ...

    def chat(self, messages: list[dict[str, str]]) -> str: ...


def is_private_host(host: str) -> bool:
    """True when every address `host` names is loopback or private; an unknown or public host is not."""
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            found = socket.getaddrinfo(host, None)
        except OSError:
            return False
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found}
    return bool(addresses) and all(a.is_loopback or a.is_private or a.is_link_local for a in addresses)


def check_url(url: str, allow_remote: bool) -> bool:
    """Validate a server URL; returns True when it is remote (only allowed with `allow_remote`)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--llm-url {url}: give an http(s) URL such as http://127.0.0.1:11434/v1 (Ollama) or "
                          "http://127.0.0.1:8080 (llama.cpp's server)")
    remote = not is_private_host(parts.hostname)
    if remote and not allow_remote:
        raise ConfigError(f"--llm-url {url}: {parts.hostname} is not this machine nor a private network, so the "
                          "conversation would leave it; refused (add --allow-remote if you mean it: names are "
                          "then replaced by labels before sending)")
    return remote


def completions_url(url: str) -> str:
    """The chat-completions endpoint of a server URL given as `http://host:port`, `.../v1` or the endpoint itself."""
    base = url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    return base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")


@dataclass
class HttpChat:
    """An OpenAI-compatible server (Ollama, llama.cpp's server, LM Studio, vLLM) over httpx."""

    url: str
    name: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    context: int = DEFAULT_CONTEXT
    max_tokens: int = DEFAULT_MAX_TOKENS
    json_mode: bool = True  # ask for response_format json_object; dropped when the server refuses it
    requests: int = 0
    cut_off: bool = False  # the last answer stopped at max_tokens (finish_reason "length")

    @property
    def server(self) -> str:
        return self.url

    def count(self, text: str) -> int:
        """Tokens, estimated without the server's tokenizer: 3 characters a token errs on the safe side."""
        return len(text) // 3 + 1

    def chat(self, messages: list[dict[str, str]]) -> str:
        import httpx

        endpoint = completions_url(self.url)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body: dict[str, Any] = {"model": self.name, "messages": messages, "temperature": 0,
                                "max_tokens": self.max_tokens, "stream": False}
        for _attempt in range(2):
            if self.json_mode:
                body["response_format"] = {"type": "json_object"}
            else:
                body.pop("response_format", None)
            self.requests += 1
            try:
                response = httpx.post(endpoint, json=body, headers=headers, timeout=self.timeout)
            except httpx.TimeoutException:
                raise LLMError(f"{self.url}: no answer within {self.timeout:g} s (timeout)") from None
            except httpx.HTTPError as exc:
                raise LLMError(f"{self.url}: cannot reach the server ({type(exc).__name__}: {exc})") from None
            if response.status_code == 400 and self.json_mode and "response_format" in response.text:
                log.info("%s: the server has no JSON mode; asking without it", self.url)
                self.json_mode = False
                continue
            if response.status_code >= 400:
                raise LLMError(f"{self.url}: HTTP {response.status_code} ({_short(response.text)})")
            try:
                choice = response.json()["choices"][0]
                content = choice["message"]["content"]
            except (ValueError, KeyError, IndexError, TypeError):
                raise LLMError(f"{self.url}: not a chat-completions answer ({_short(response.text)})") from None
            self.cut_off = choice.get("finish_reason") == "length"
            return str(content or "")
        raise LLMError(f"{self.url}: the server refused the request ({_short(response.text)})")


def _short(text: str, limit: int = 160) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit] + "…"


@dataclass
class LocalChat:
    """A model folder (config, weights, tokenizer with a chat template) run on the CPU by transformers."""

    folder: Path
    context_limit: int | None = None  # at most this many tokens (default: what the model was trained for)
    max_tokens: int = DEFAULT_MAX_TOKENS
    threads: int = 0
    requests: int = 0
    _model: Any = None
    _tokenizer: Any = None

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def server(self) -> str:
        return str(self.folder)

    @property
    def context(self) -> int:
        """What the model was trained for, at most `context_limit` (default 8192: longer prompts are too slow and
        too large on a CPU; long meetings go in chunks instead)."""
        self._load()
        trained = int(getattr(self._model.config, "max_position_embeddings", 0) or DEFAULT_CONTEXT)
        return min(trained, self.context_limit or LOCAL_CONTEXT)

    def _load(self) -> None:
        if self._model is not None:
            return
        began = time.perf_counter()
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            if self.threads:
                torch.set_num_threads(self.threads)
            tokenizer = AutoTokenizer.from_pretrained(self.folder, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(self.folder, local_files_only=True, dtype=torch.float32)
        except (OSError, ValueError, ImportError) as exc:
            raise LLMError(f"{self.folder}: cannot load the model folder ({_short(str(exc))})") from None
        if not getattr(tokenizer, "chat_template", None):
            raise LLMError(f"{self.folder}: the tokenizer has no chat template (use an instruction-tuned model)")
        model.eval()
        self._model, self._tokenizer = model, tokenizer
        log.info("%s: loaded in %.1f s", self.folder, time.perf_counter() - began)

    def count(self, text: str) -> int:
        self._load()
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    def chat(self, messages: list[dict[str, str]]) -> str:
        import torch

        self._load()
        self.requests += 1
        try:
            inputs = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=True,
                                                         return_tensors="pt")
            with torch.inference_mode():
                output = self._model.generate(**inputs, max_new_tokens=self.max_tokens, do_sample=False,
                                              pad_token_id=self._tokenizer.pad_token_id
                                              or self._tokenizer.eos_token_id)
        except (RuntimeError, ValueError, IndexError) as exc:
            raise LLMError(f"{self.folder}: generation failed ({_short(str(exc))})") from None
        prompt_length = inputs["input_ids"].shape[1]
        return str(self._tokenizer.decode(output[0][prompt_length:], skip_special_tokens=True))


def describe(model: ChatModel) -> dict[str, Any]:
    """What insights.json records about the model."""
    return {"model": model.name, "server": model.server}


__all__ = ["ChatModel", "HttpChat", "LLMError", "LocalChat", "check_url", "completions_url", "describe",
           "is_private_host"]
