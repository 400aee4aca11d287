"""HTTP entry point of gmail-sync (Cloud Functions 2nd gen); the job lives in gmail_job."""

import functions_framework
from flask import Request
from gmail_job import SPEC

from shared.entrypoint import Answer, handle


@functions_framework.http
def gmail_sync(request: Request) -> Answer:
    return handle(request, SPEC)
