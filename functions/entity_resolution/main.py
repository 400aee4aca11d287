"""HTTP entry point of entity-resolution (Cloud Functions 2nd gen); the job lives in er_job."""

import functions_framework
from er_job import SPEC
from flask import Request

from shared.entrypoint import Answer, handle


@functions_framework.http
def entity_resolution(request: Request) -> Answer:
    return handle(request, SPEC)
