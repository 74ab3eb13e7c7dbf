"""The generative backend the settings ask for: a server (`--llm-url` + `--llm-model`) or a model folder
(`--llm-model FOLDER` without a URL). Wrong or missing settings are one-line `ConfigError`s, raised before anything
is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError, require
from pipeline.core.session import PSEUDONYMS, Session
from pipeline.core.settings import Settings
from pipeline.core.stages import Extension, RunContext
from pipeline.llm.backend import LLMBackend
from pipeline.llm.prompts import load_template
from pipeline.llm.transport import (
    DEFAULT_CONTEXT,
    DEFAULT_MAX_TOKENS,
    DEFAULT_TIMEOUT,
    ChatModel,
    HttpChat,
    LocalChat,
    check_url,
)
from pipeline.privacy.mapping import Pseudonyms

HOW = ("say which model: --llm-url URL --llm-model NAME for a server (Ollama, llama.cpp's server), or "
       "--llm-model FOLDER for a local model folder ([llm] url, model in the config file; OOGST_LLM_URL, "
       "OOGST_LLM_MODEL)")


def hidden_names(session: Session | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(kind, spellings) of every name the session's pseudonyms.json hides (none without the file)."""
    if session is None:
        return ()
    pseudonyms = Pseudonyms.load(session.path(PSEUDONYMS))
    return tuple((e.kind, tuple(n for n in e.names if not pseudonyms.is_unhidden(n)))
                 for e in pseudonyms.entities)


def backend_from_settings(settings: Settings, session: Session | None = None) -> LLMBackend:
    """The `LLMBackend` for `--insights llm`, its server address checked against the privacy rule.

    Args:
        session: for a remote server, the names its pseudonyms.json hides are masked too.
    """
    require("llm", "--insights llm")
    load_template(settings.llm_template, settings.language)  # a missing template file fails here, not later
    model: ChatModel
    remote = False
    if settings.llm_url:
        if not settings.llm_model:
            raise ConfigError(f"--llm-url {settings.llm_url}: also give --llm-model NAME (the name the server "
                              "knows the model by, e.g. llama3.1:8b)")
        remote = check_url(settings.llm_url, settings.allow_remote)
        context = settings.llm_context or DEFAULT_CONTEXT
        # The final answer (summary, 7 insights with quotes, actions) needs room: a third of the context, 1-2k tokens.
        model = HttpChat(settings.llm_url, settings.llm_model, api_key=settings.llm_api_key,
                         timeout=settings.llm_timeout or DEFAULT_TIMEOUT, context=context,
                         max_tokens=min(2048, max(DEFAULT_MAX_TOKENS, context // 3)))
    elif settings.llm_model:
        folder = Path(settings.llm_model).expanduser()
        if not folder.is_dir():
            raise ConfigError(f"--llm-model {settings.llm_model}: no such model folder (without --llm-url the "
                              "model is a local folder with config.json, weights and a tokenizer); or " + HOW)
        model = LocalChat(folder, context_limit=settings.llm_context, threads=settings.threads)
    else:
        raise ConfigError(f"--insights llm: {HOW}")
    return LLMBackend(model, template=settings.llm_template, remote=remote,
                      hidden=hidden_names(session) if remote else ())


class LlmPlug(Extension):
    """`--insights llm` at the runner's `insights.backend` point: the generative backend the settings name."""

    def insights_backend(self, ctx: RunContext) -> Any:
        return backend_from_settings(ctx.settings, ctx.session)
