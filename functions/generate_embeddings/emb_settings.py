"""Settings of generate-embeddings: which embedder, which model, and how to reach Vertex AI."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from shared.entrypoint import JobParams
from shared.params import IsoDate
from shared.vertex import VertexSettings


class EmbeddingSettings(VertexSettings):
    embedder: Literal["local", "vertex"] = Field(
        "local", description="local: the int8 ONNX all-MiniLM-L6-v2 shipped in a package; vertex: Vertex AI")
    embedding_model: str = Field(
        "text-embedding-005", description="Vertex AI embedding model (EMBEDDER=vertex)")
    embedding_batch_size: int = Field(
        32, ge=1, le=256, description="texts (256-word-piece windows of long texts) per model call (local)")
    embedding_merge_rows: int = Field(
        250, ge=1, le=5000, description="rows embedded and written by one MERGE (a batch)")
    embedding_index_min_rows: int = Field(
        5000, ge=1, description="embedded rows a table needs before the job issues its BigQuery vector index DDL")
    local_embedding_threads: int = Field(
        2, ge=1, le=16, description="onnxruntime intra-op threads of the local embedder (EMBEDDER=local)")


class EmbeddingParams(JobParams):
    """Request body. Without `query`: embed (`type`, `limit`). With `query`: search, read-only (`type`, `k`,
    `account_id`, `since`); `limit` belongs to embedding only, `k`/`account_id`/`since` to search only."""

    query: str | None = Field(None, min_length=1, max_length=2000)
    type: Literal["emails", "calls", "both"] = "both"
    limit: int = Field(20_000, ge=1, le=200_000)
    k: int = Field(10, ge=1, le=100)
    account_id: str | None = Field(None, min_length=1, max_length=64)
    since: IsoDate | None = None

    @field_validator("query")
    @classmethod
    def _query(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("limit")
    @classmethod
    def _embed_only(cls, value: Any, info: ValidationInfo) -> Any:
        if info.data.get("query") is not None:
            raise ValueError("only for embedding (a body with query is a search)")
        return value

    @field_validator("k", "account_id", "since")
    @classmethod
    def _search_only(cls, value: Any, info: ValidationInfo) -> Any:
        if info.data.get("query") is None:
            raise ValueError("only for a search (with query)")
        return value

    @property
    def kinds(self) -> tuple[str, ...]:
        return ("emails", "calls") if self.type == "both" else (self.type,)
