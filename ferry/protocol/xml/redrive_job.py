"""The CreateJob request that re-drives FAILED versions: an S3ReplicateObject job over a CSV
manifest (bucket,key,versionId), with an all-tasks completion report beside it. Sent by
`ferry failures redrive` and by the console's re-drive button."""

from __future__ import annotations

from xml.sax.saxutils import escape

REDRIVE_PREFIX = "ferry-redrive/"  # where manifests and reports go in the manifest bucket
BATCH_BUCKET = "ferry-batch-{account}-{region}"


def batch_bucket_name(account: str, region: str) -> str:
    """Ferry's batch bucket of an account in a region: where re-drive manifests and reports
    go, a bucket no rule replicates (in the source bucket a catch-all rule would replicate
    them, which AWS advises against)."""
    return BATCH_BUCKET.format(account=account, region=region)


def render_redrive_job_request(
    *, manifest_arn: str, etag: str, report_bucket: str, token: str, priority: int, role: str,
    description: str, confirmation_required: bool = True,
) -> bytes:  # fmt: skip
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<CreateJobRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/">'
        f"<ConfirmationRequired>{str(confirmation_required).lower()}</ConfirmationRequired>"
        "<Operation><S3ReplicateObject/></Operation>"
        f"<Report><Bucket>arn:aws:s3:::{escape(report_bucket)}</Bucket>"
        "<Format>Report_CSV_20180820</Format><Enabled>true</Enabled>"
        f"<Prefix>{REDRIVE_PREFIX}reports</Prefix><ReportScope>AllTasks</ReportScope></Report>"
        f"<ClientRequestToken>{escape(token)}</ClientRequestToken>"
        "<Manifest><Spec><Format>S3BatchOperations_CSV_20180820</Format>"
        "<Fields><member>Bucket</member><member>Key</member><member>VersionId</member></Fields>"
        f"</Spec><Location><ObjectArn>{escape(manifest_arn)}</ObjectArn>"
        f"<ETag>{escape(etag)}</ETag></Location></Manifest>"
        f"<Description>{escape(description)}</Description>"
        f"<Priority>{priority}</Priority><RoleArn>{escape(role)}</RoleArn>"
        "</CreateJobRequest>"
    ).encode()
