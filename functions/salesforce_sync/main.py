"""HTTP entry point of salesforce-sync (Cloud Functions 2nd gen)."""

from __future__ import annotations

import functions_framework
from flask import Request
from sfdc_job import SPEC

from shared.entrypoint import Answer, handle


@functions_framework.http
def salesforce_sync(request: Request) -> Answer:
    return handle(request, SPEC)
