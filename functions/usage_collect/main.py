"""HTTP entry point of usage-collect (Cloud Functions 2nd gen); the job lives in usage_job."""

import functions_framework
from flask import Request
from usage_job import SPEC

from shared.entrypoint import Answer, handle


@functions_framework.http
def usage_collect(request: Request) -> Answer:
    return handle(request, SPEC)
