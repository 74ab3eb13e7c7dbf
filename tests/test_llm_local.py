"""The local-folder transport with a real (tiny, random) model: transformers loads the folder offline, applies the
tokenizer's chat template and generates; what it writes is nonsense, which never reaches the top 7: the extractive
ranking fills it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from llm_fake import HashEncoder

from pipeline.core.errors import ConfigError
from pipeline.core.settings import Settings
from pipeline.core.types import Turns
from pipeline.insights.extract import ExtractiveBackend
from pipeline.llm.backend import LLMBackend, backend_from_settings
from pipeline.llm.transport import LocalChat

FIXTURE = Path(__file__).resolve().parent / "data" / "insights" / "intervisie_nl.json"
CHAT_TEMPLATE = ("{% for m in messages %}<s>{{ m['role'] }}\n{{ m['content'] }}</s>\n{% endfor %}"
                 "{% if add_generation_prompt %}<s>assistant\n{% endif %}")


def tiny_model(folder: Path, corpus: list[str]) -> Path:
    """A byte-level BPE tokenizer trained on `corpus`, with a chat template, and a 1-layer Llama with random
    weights, saved the way a downloaded model folder is."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=2000, special_tokens=["<unk>", "<s>", "</s>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                        pad_token="<pad>")
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=16384,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def turns() -> Turns:
    return Turns.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory, turns: Turns) -> Path:
    folder = tmp_path_factory.mktemp("models") / "tiny-llama"
    return tiny_model(folder, [t.text for t in turns.turns] + ['{"insights": [{"id": 1, "quote": "x"}]}'])


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # belt and braces: local_files_only already forbids a download


def test_a_tiny_random_model_runs_offline_and_its_nonsense_never_reaches_the_top_7(
        tiny_folder: Path, turns: Turns, caplog: pytest.LogCaptureFixture) -> None:
    folder = tiny_folder
    model = LocalChat(folder, max_tokens=24)
    backend = LLMBackend(model, fallback=ExtractiveBackend(encoder=HashEncoder()))
    with caplog.at_level(logging.WARNING):
        result = backend.extract(turns, language="nl", top=7, progress=None)
    assert model.requests == 2  # the question and the one repair attempt: generation really ran twice
    assert model.context == 8192 and model.count("Goedemorgen allemaal") > 0  # trained for 16384, capped on a CPU
    assert "no valid JSON after one repair attempt" in result.extra["llm_error"]
    assert str(folder) in result.extra["llm_error"]
    assert len(result.insights) == 7 and {i.extra["source"] for i in result.insights} == {"extractive"}
    assert result.extra["model"] == "tiny-llama" and result.extra["backend"] == "llm"
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1


def test_the_settings_choose_the_folder_transport(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    chosen = backend_from_settings(Settings(insights="llm", llm_model=str(folder)))
    assert isinstance(chosen.model, LocalChat) and chosen.model.folder == folder
    with pytest.raises(ConfigError, match="no such model folder"):
        backend_from_settings(Settings(insights="llm", llm_model=str(tmp_path / "missing")))
    with pytest.raises(ConfigError, match="say which model"):
        backend_from_settings(Settings(insights="llm"))


MADE_UP = {"summary": [{"text": "De maan is van kaas.", "ids": []}],
           "insights": [{"title": "Kaas", "text": "De maan is van kaas.", "ids": [2],
                         "quotes": [{"id": 2, "quote": "de maan is van kaas"}]},
                        {"title": "Wol", "text": "Wolken zijn van wol.", "ids": [999],
                         "quotes": [{"id": 999, "quote": "wolken zijn van wol"}]}],
           "actions": [{"owner": "Voldemort", "text": "De maan bellen", "due": None, "ids": [3]}]}


def test_a_tiny_model_that_writes_json_is_caught_by_the_grounding_check(
        tiny_folder: Path, turns: Turns, tmp_path: Path) -> None:
    """The random model steered to a fixed well-formed answer by a sequence bias in its own generation_config.json
    (every prefix of the answer boosts its next token): loading, chat template and generation are the real ones."""
    import shutil

    from transformers import AutoTokenizer, GenerationConfig

    folder = shutil.copytree(tiny_folder, tmp_path / "steered-llama")
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    answer = json.dumps(MADE_UP)
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "x"}], add_generation_prompt=True,
                                           return_dict=True)["input_ids"]
    steps = [prompt[-1], *tokenizer(answer, add_special_tokens=False)["input_ids"], tokenizer.eos_token_id]
    config = GenerationConfig.from_pretrained(folder, local_files_only=True)
    config.sequence_bias = [[steps[:k + 1], 60.0] for k in range(1, len(steps))]
    config.save_pretrained(folder)

    model = LocalChat(folder, max_tokens=len(steps) + 8)
    result = LLMBackend(model, fallback=ExtractiveBackend(encoder=HashEncoder())).extract(
        turns, language="nl", top=7, progress=None)
    assert model.requests == 1 and "llm_error" not in result.extra  # valid JSON, read at the first try
    assert result.extra["grounding"] == {"kept": 0, "dropped": 4, "reasons": {
        "uncited": 1, "quote not said": 1, "unknown sentence": 1, "owner not a participant": 1}}
    assert len(result.insights) == 7 and {i.extra["source"] for i in result.insights} == {"extractive"}
    assert result.extra["sources"] == {"summary": "extractive", "actions": "extractive"}
    assert not any("kaas" in i.text or "wol" in i.text.lower() for i in result.insights)
    assert "generated_by" not in result.extra  # none of its text is used, so the draft does not name it
