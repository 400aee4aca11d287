"""HTTP entry point of generate-embeddings (Cloud Functions 2nd gen); the job lives in emb_job."""

import functions_framework
from emb_job import SPEC
from flask import Request

from shared.entrypoint import Answer, handle


@functions_framework.http
def generate_embeddings(request: Request) -> Answer:
    return handle(request, SPEC)
