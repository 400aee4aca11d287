"""Vertex AI for the functions that call it (generate-embeddings, account-scoring's narrative): one set of settings
(so one environment configures both), one way to authenticate, one google-genai client over the shared session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import google.auth
import httpx2
from google import genai
from google.genai import types
from google.oauth2.credentials import Credentials
from pydantic import Field

from shared.secrets import Secret
from shared.settings import CommonSettings

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


class VertexSettings(CommonSettings):
    google_cloud_project: str | None = Field(None, description="project of the Vertex AI endpoint")
    vertex_location: str = Field("us-central1", description="Vertex AI region")
    vertex_base_url: str | None = Field(
        None, description="Vertex AI API root; unset: https://{VERTEX_LOCATION}-aiplatform.googleapis.com")
    vertex_auth: Literal["adc", "static_token"] = Field(
        "adc", description="adc: the function's service account; static_token: VERTEX_STATIC_TOKEN (local)")
    vertex_static_token: Secret | None = Field(None, description="bearer token for VERTEX_AUTH=static_token")


def vertex_credentials(settings: VertexSettings) -> tuple[Any, str | None]:
    """(credentials, the project ADC names) for the configured VERTEX_AUTH."""
    if settings.vertex_auth == "static_token":
        if settings.vertex_static_token is None:
            raise ValueError("VERTEX_AUTH=static_token needs VERTEX_STATIC_TOKEN")
        return Credentials(token=settings.vertex_static_token.get()), None
    credentials, project = google.auth.default(scopes=[CLOUD_PLATFORM])
    return credentials, project


@dataclass(frozen=True)
class VertexTarget:
    credentials: Any
    project: str
    location: str
    base_url: str

    def client(self, http: httpx2.Client, timeout_ms: int | None = None) -> genai.Client:
        """A google-genai client on Vertex AI whose requests go through `http` (the shared session's bridge)."""
        return genai.Client(
            vertexai=True, project=self.project, location=self.location, credentials=self.credentials,
            http_options=types.HttpOptions(base_url=self.base_url, api_version="v1", httpx_client=http,
                                           timeout=timeout_ms))


def vertex_target(settings: VertexSettings, needed_by: str) -> VertexTarget:
    """Where and as whom to call Vertex AI; ValueError naming `needed_by` when no project is known."""
    credentials, adc_project = vertex_credentials(settings)
    project = settings.google_cloud_project or adc_project
    if not project:
        raise ValueError(f"{needed_by} needs GOOGLE_CLOUD_PROJECT")
    location = settings.vertex_location
    return VertexTarget(credentials, project, location,
                        settings.vertex_base_url or f"https://{location}-aiplatform.googleapis.com")
