"""The app's dispatch table (`api/app.py` FAMILIES): which API family each kind of request
reaches, first match wins. Requests are signed by botocore itself, for the service named."""

from __future__ import annotations

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ferry.api.app import FAMILIES, family_for
from ferry.api.http import Request
from tests.unit.api.builders import ACCESS_KEY, REGION, SECRET_KEY, build_request, from_botocore

ENDPOINT = "http://127.0.0.1:9000"
KMS_TARGET = {"x-amz-target": "TrentService.ListKeys"}


def signed_for(
    service: str | None,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    presigned: bool = False,
) -> Request:
    """`service` None: unsigned."""
    if service is None:
        return build_request(method, ENDPOINT + path, headers or {}, body)
    request = AWSRequest(method=method, url=ENDPOINT + path, headers=headers or {}, data=body)
    credentials = Credentials(ACCESS_KEY, SECRET_KEY)
    if presigned:
        SigV4QueryAuth(credentials, service, REGION, 60).add_auth(request)
    else:
        SigV4Auth(credentials, service, REGION).add_auth(request)
    return from_botocore(request.prepare())


# (signed for, method, path, headers, presigned) → family: written out, not derived from FAMILIES.
CASES: list[tuple[str | None, str, str, dict[str, str], bool, str]] = [
    # Ferry's metrics, by path, signed or not (their own authentication: [metrics])
    (None, "GET", "/_ferry/metrics", {}, False, "metrics"),
    ("s3", "GET", "/_ferry/metrics", {}, False, "metrics"),
    (None, "GET", "/_ferry/metrics", {"authorization": "Bearer t"}, False, "metrics"),
    # Ferry's admin API, by path, whatever it is signed for
    ("s3", "GET", "/_ferry/failures", {}, False, "admin"),
    ("s3", "GET", "/_ferry/failures/summary", {}, False, "admin"),
    ("s3", "DELETE", "/_ferry/failures/17", {}, False, "admin"),
    ("s3", "POST", "/_ferry/accounts", {}, False, "admin"),
    ("s3", "GET", "/_ferry/accounts/", {}, False, "admin"),
    ("s3", "PUT", "/_ferry/buckets/photos/quota", {}, False, "admin"),
    ("s3", "GET", "/_ferry/buckets/photos/other", {}, False, "admin"),  # the admin API's 404
    ("s3", "GET", "/_ferry/events/outbox", {}, False, "admin"),
    (None, "GET", "/_ferry/failures", {}, False, "admin"),  # refused by the admin API itself
    ("iam", "POST", "/_ferry/accounts", {}, False, "admin"),
    ("kms", "POST", "/_ferry/failures", KMS_TARGET, False, "admin"),
    # IAM and STS by the service the request is signed for, header or query
    ("iam", "POST", "/", {}, False, "iam"),
    ("iam", "GET", "/?Action=ListUsers", {}, True, "iam"),
    ("iam", "GET", "/v20180820/jobs", {}, False, "iam"),
    ("sts", "POST", "/", {}, False, "sts"),
    ("sts", "GET", "/?Action=GetCallerIdentity", {}, True, "sts"),
    ("sts", "GET", "/_ferry/health", {}, False, "sts"),
    # KMS by its signing service or its X-Amz-Target, even unsigned
    ("kms", "POST", "/", KMS_TARGET, False, "kms"),
    ("kms", "POST", "/", {}, False, "kms"),  # no target: KMS's UnknownOperationException
    (None, "POST", "/", KMS_TARGET, False, "kms"),
    ("s3", "POST", "/", KMS_TARGET, False, "kms"),
    ("kms", "GET", "/v20180820/jobs", {}, False, "kms"),
    # S3 Control's jobs, by path
    ("s3", "POST", "/v20180820/jobs", {}, False, "s3-control"),
    ("s3", "GET", "/v20180820/jobs/job-00001", {}, False, "s3-control"),
    ("s3", "POST", "/v20180820/jobs/job-00001/status", {}, False, "s3-control"),
    (None, "GET", "/v20180820/jobs", {}, False, "s3-control"),
    # Ferry's other endpoints: health, and the NotImplemented answer for the rest
    (None, "GET", "/_ferry/health", {}, False, "ferry"),
    ("s3", "HEAD", "/_ferry/health", {}, False, "ferry"),
    (None, "GET", "/_ferry/events", {}, False, "ferry"),
    (None, "GET", "/_ferry/x", {}, False, "ferry"),
    # S3: everything else
    ("s3", "GET", "/", {}, False, "s3"),
    (None, "GET", "/", {}, False, "s3"),
    ("s3", "PUT", "/photos/cat.jpg", {}, False, "s3"),
    ("s3", "GET", "/photos/cat.jpg", {}, True, "s3"),
    ("s3", "GET", "/_ferryx/key", {}, False, "s3"),
    ("s3", "GET", "/v20180820/other", {}, False, "s3"),
    ("s3", "GET", "/photos/_ferry/failures", {}, False, "s3"),
]


@pytest.mark.parametrize(("service", "method", "path", "headers", "presigned", "family"), CASES)
def test_request_reaches_its_family(
    service: str | None,
    method: str,
    path: str,
    headers: dict[str, str],
    presigned: bool,
    family: str,
) -> None:
    request = signed_for(service, method, path, headers=headers, presigned=presigned)
    assert family_for(request).name == family


def test_every_family_is_reached_by_some_case() -> None:
    names = [family.name for family in FAMILIES]
    assert len(set(names)) == len(names)
    assert {case[-1] for case in CASES} == set(names)


def test_s3_is_the_last_row_and_takes_any_request() -> None:
    assert FAMILIES[-1].name == "s3"
    assert FAMILIES[-1].serves(signed_for(None, "OPTIONS", "/anything/at/all"))
