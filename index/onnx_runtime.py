"""The same sentence-transformers model run by ONNX Runtime, optionally int8-quantised.

Why: on this machine (2 CPU cores, AVX-512 VNNI) sentence-transformers on PyTorch embedded 31
forum chunks/s; the same weights on ONNX Runtime 129/s, and with dynamically quantised int8
weights 201–228/s, at cosine 0.99 to the fp32 vectors and the same retrieval scores (the README's
encoder table; ``make eval``).
sentence-transformers can load ONNX itself, but only through ``optimum-onnx``, which pins
``transformers<4.58``; this module needs only ``onnxruntime`` and ``onnx``.

The ONNX file is exported from the local weights on first use (a few seconds, no download) and
cached under ``<cache>/onnx/`` keyed by the weights, so later starts load it directly. The
tokenizer, maximum length and pooling are read from the model folder, as sentence-transformers
does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

log = logging.getLogger(__name__)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
QUANTISED_OPS = ["MatMul"]


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "checkfirst"


def _weights_file(model_dir: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (model_dir / name).is_file():
            return model_dir / name
    raise FileNotFoundError(
        f"no model.safetensors or pytorch_model.bin in {model_dir}; "
        "set CHECKFIRST_EMBEDDING_BACKEND=torch for this model"
    )


def cached_model(model_dir: Path, quantize: bool, cache_dir: Path) -> Path:
    """The ONNX file for ``model_dir``, exported (and quantised) on first use."""
    weights = _weights_file(model_dir)
    stat = weights.stat()
    recipe = ",".join(QUANTISED_OPS) if quantize else "fp32"
    source = f"{weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{recipe}"
    key = hashlib.sha256(source.encode()).hexdigest()[:16]
    target = cache_dir / "onnx" / f"{model_dir.name}-{'int8' if quantize else 'fp32'}-{key}.onnx"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    log.info("exporting %s to ONNX%s (once)", model_dir, " int8" if quantize else "")
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "model.onnx"
        _export(model_dir, fp32)
        made = fp32
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            made = Path(tmp) / "model-int8.onnx"
            # Only the MatMuls (the time): also quantising the embedding tables cost two
            # questions of dense R@1 in ``make eval``; MatMul-only scores as fp32 does.
            quantize_dynamic(
                fp32,
                made,
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=QUANTISED_OPS,
            )
        os.replace(made, target)  # atomic: a concurrent starter sees the old state or this file
    return target


def _export(model_dir: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel

    # Eager attention exports as plain MatMul/Softmax, which ONNX Runtime fuses and int8 speeds
    # up; the SDPA export measured about 20% slower.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    example = torch.ones((2, 8), dtype=torch.int64)
    with warnings.catch_warnings():  # tracer notes about shape checks that hold for any input
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHidden(),
            (example, example, torch.zeros_like(example)),
            str(out),
            input_names=list(INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "seq"} for name in (*INPUTS, "last_hidden_state")},
            opset_version=17,
            dynamo=False,
        )


def _pooling(model_dir: Path) -> str:
    """``mean`` or ``cls``, from the sentence-transformers Pooling module's config."""
    modules_file = model_dir / "modules.json"
    modules = json.loads(modules_file.read_text()) if modules_file.is_file() else []
    for module in modules:
        if module.get("type", "").endswith("Pooling"):
            config = json.loads((model_dir / module["path"] / "config.json").read_text())
            if config.get("pooling_mode_cls_token"):
                return "cls"
            if config.get("pooling_mode_mean_tokens", True):
                return "mean"
            raise ValueError(
                f"{model_dir}: only mean or CLS pooling runs on ONNX; "
                "set CHECKFIRST_EMBEDDING_BACKEND=torch for this model"
            )
    return "mean"


class OnnxEmbedder:
    """Tokenise, run, pool, normalise; thread-safe.

    Each text runs on its own, unpadded. With int8 weights ONNX Runtime quantises activations
    per call, so in a padded batch a text's vector would depend on its batch-mates (cosine 0.99
    to itself alone); one text per call keeps every vector reproducible, and measured as fast as
    batches of 8. Texts are spread over ``threads`` single-threaded runs, one per core.
    """

    def __init__(self, model_dir: Path, quantize: bool, cache_dir: Path, threads: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        path = cached_model(model_dir, quantize, cache_dir)
        try:
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a damaged cache file: export again rather than refuse to start
            log.warning("cached ONNX model %s is unreadable (%s); exporting it again", path, exc)
            path.unlink(missing_ok=True)
            path = cached_model(model_dir, quantize, cache_dir)
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._session = session
        # A model without segment ids (MPNet) exports without that input.
        self._inputs = frozenset(i.name for i in session.get_inputs())
        self._pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="onnx-encode")
        config_file = model_dir / "sentence_bert_config.json"
        config = json.loads(config_file.read_text()) if config_file.is_file() else {}
        self.max_length = int(config.get("max_seq_length") or 256)
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.max_length)
        self._tokenizer.no_padding()
        self._pooling = _pooling(model_dir)
        self.dim = int(self.encode(["dimension probe"]).shape[1])

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        encodings = self._tokenizer.encode_batch(texts)
        ids = [np.asarray([e.ids], dtype=np.int64) for e in encodings]
        if len(ids) == 1:
            return self._one(ids[0])[None, :]
        return np.stack(list(self._pool.map(self._one, ids)))

    def _one(self, ids: NDArray[np.int64]) -> NDArray[np.float32]:
        ones = np.ones_like(ids)
        feeds = {"input_ids": ids, "attention_mask": ones, "token_type_ids": np.zeros_like(ids)}
        feeds = {name: value for name, value in feeds.items() if name in self._inputs}
        hidden = self._session.run(None, feeds)[0][0]  # (tokens, dim)
        pooled = hidden[0] if self._pooling == "cls" else hidden.mean(axis=0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)
