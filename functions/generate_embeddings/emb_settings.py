"""Settings of generate-embeddings: which embedder, which model, and how to reach Vertex AI."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.secrets import Secret
from shared.settings import CommonSettings


class EmbeddingSettings(CommonSettings):
    embedder: Literal["local", "vertex"] = Field(
        "local", description="local: the int8 ONNX all-MiniLM-L6-v2 shipped in a package; vertex: Vertex AI")
    embedding_model: str = Field(
        "text-embedding-005", description="Vertex AI embedding model (EMBEDDER=vertex)")
    embedding_batch_size: int = Field(
        32, ge=1, le=256, description="texts (256-word-piece windows of long texts) per model call (local)")
    local_embedding_threads: int = Field(
        2, ge=1, le=16, description="onnxruntime intra-op threads of the local embedder (EMBEDDER=local)")
    google_cloud_project: str | None = Field(None, description="project of the Vertex AI endpoint")
    vertex_location: str = Field("us-central1", description="Vertex AI region")
    vertex_base_url: str | None = Field(
        None, description="Vertex AI API root; unset: https://{VERTEX_LOCATION}-aiplatform.googleapis.com")
    vertex_auth: Literal["adc", "static_token"] = Field(
        "adc", description="adc: the function's service account; static_token: VERTEX_STATIC_TOKEN (local)")
    vertex_static_token: Secret | None = Field(None, description="bearer token for VERTEX_AUTH=static_token")
