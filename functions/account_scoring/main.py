"""HTTP entry point of account-scoring (Cloud Functions 2nd gen); the job lives in score_job."""

import functions_framework
from flask import Request
from score_job import SPEC

from shared.entrypoint import Answer, handle


@functions_framework.http
def account_scoring(request: Request) -> Answer:
    return handle(request, SPEC)
