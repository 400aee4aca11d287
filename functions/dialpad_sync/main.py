"""HTTP entry point of dialpad-sync (Cloud Functions 2nd gen); the job lives in dialpad_job."""

import functions_framework
from dialpad_job import SPEC
from flask import Request

from shared.entrypoint import Answer, handle


@functions_framework.http
def dialpad_sync(request: Request) -> Answer:
    return handle(request, SPEC)
