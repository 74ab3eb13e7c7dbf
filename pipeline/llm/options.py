"""The `oogst run` options of the generative backend (argparse only: cheap to import when the CLI starts)."""

from __future__ import annotations

import argparse


def add_llm_options(run: argparse.ArgumentParser) -> None:
    """--insights, --llm-url, --llm-model, --llm-template, --llm-context, --allow-remote."""
    run.add_argument("--insights", choices=["extractive", "llm"],
                     help="extractive (default, offline) or llm: summary and top 7 written by a language model you "
                          "point at, every point checked against what was said (insights in [oogst], "
                          "OOGST_INSIGHTS)")
    run.add_argument("--llm-url", metavar="URL", help="an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 "
                                                      "(Ollama) or http://127.0.0.1:8080 (llama.cpp); only this "
                                                      "machine or a private network unless --allow-remote "
                                                      "(url in [llm], OOGST_LLM_URL; API key: OOGST_LLM_API_KEY)")
    run.add_argument("--llm-model", metavar="NAME|FOLDER", help="the model name the server knows, or without "
                                                                "--llm-url a local model folder run by transformers "
                                                                "(model in [llm], OOGST_LLM_MODEL)")
    run.add_argument("--llm-template", metavar="NAME|FILE",
                     help="what to look for: intervisie (default), community-of-practice, learning-network, "
                          "team-meeting, or your own text file (template in [llm])")
    run.add_argument("--llm-context", type=int, metavar="TOKENS",
                     help="tokens the model reads at most (default 4096 for a server; longer meetings are "
                          "condensed chunk by chunk, never cut off; context in [llm])")
    run.add_argument("--allow-remote", action="store_true",
                     help="allow an --llm-url outside this machine and its private network: names are replaced "
                          "by labels before sending, and the draft says which server and model wrote the text")
