"""HTTPS: regions serve TLS with certificates from a private CA, replicate to each other over
HTTPS verifying against `[tls] ca_bundle`, and a destination whose certificate the bundle does
not vouch for is refused (recorded as the failure's cause), never trusted."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live.replication_support import (
    Deployment,
    replicate,
    status,
    v2_rule,
    versioned_bucket,
    wait_for,
)
from tests.live.tls_support import Authority, issue_server_certificate, make_authority


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Authority]:
    """The deployment's private CA; boto3 and the aws CLI trust it through AWS_CA_BUNDLE."""
    ca = make_authority(tmp_path_factory.mktemp("ca"), "ferry-test-ca")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_CA_BUNDLE", str(ca.cert_path))
        yield ca


def _https_deployment(root: Path, ca: Authority, signer: dict[str, Authority]) -> Deployment:
    tls = {
        region: issue_server_certificate(signer.get(region, ca), root, region)
        for region in ("us-east-1", "eu-west-1")
    }
    return Deployment(root=root, tls=tls, ca_bundle=ca.cert_path)


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, authority: Authority
) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("https")
    running = _https_deployment(root, authority, {}).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def untrusted_destination(
    tmp_path_factory: pytest.TempPathFactory, authority: Authority
) -> Iterator[tuple[Deployment, Authority]]:
    """eu-west-1's certificate comes from a CA that the deployment's bundle does not hold."""
    root = tmp_path_factory.mktemp("untrusted")
    rogue = make_authority(root, "rogue-ca")
    running = _https_deployment(root, authority, {"eu-west-1": rogue}).start()
    yield running, rogue
    running.stop()


def test_endpoints_are_https_and_serve_boto3(deployment: Deployment) -> None:
    endpoint = deployment.endpoint("us-east-1")
    assert endpoint.startswith("https://")
    s3 = deployment.client("us-east-1")
    s3.create_bucket(Bucket="tls-plain")
    s3.put_object(Bucket="tls-plain", Key="k", Body=b"over tls")
    assert s3.get_object(Bucket="tls-plain", Key="k")["Body"].read() == b"over tls"


def test_a_client_without_the_ca_is_refused(deployment: Deployment) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(deployment.endpoint("us-east-1") + "/_ferry/health", verify=True)
    context = ssl.create_default_context(cafile=str(deployment.ca_bundle))
    health = httpx.get(deployment.endpoint("us-east-1") + "/_ferry/health", verify=context)
    assert health.status_code == 200


def test_plain_http_to_an_https_port_gets_no_s3_answer(deployment: Deployment) -> None:
    plain = deployment.endpoint("us-east-1").replace("https://", "http://")
    try:
        response = httpx.get(plain + "/", timeout=5)
    except httpx.HTTPError:
        return  # the TLS server closed the connection: nothing was served in the clear
    assert response.status_code == 400 and b"ListAllMyBuckets" not in response.content


def test_aws_cli_with_ca_bundle(deployment: Deployment, tmp_path: Path) -> None:
    body = tmp_path / "f.txt"
    body.write_text("cli over https")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "LIVETESTACCESSKEY000"}
    env["AWS_SECRET_ACCESS_KEY"] = "live-test-secret-key"
    env.pop("AWS_CA_BUNDLE")
    endpoint = ["--endpoint-url", deployment.endpoint("us-east-1"), "--region", "us-east-1"]
    bundle = ["--ca-bundle", str(deployment.ca_bundle)]
    aws = [sys.executable, "-m", "awscli"]
    subprocess.run([*aws, "s3", "mb", "s3://tls-cli", *endpoint, *bundle], env=env, check=True)
    subprocess.run(
        [*aws, "s3", "cp", str(body), "s3://tls-cli/f.txt", *endpoint, *bundle],
        env=env,
        check=True,
    )
    listed = subprocess.run(
        [*aws, "s3", "ls", "s3://tls-cli/", *endpoint, *bundle],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert "f.txt" in listed.stdout
    refused = subprocess.run(
        [*aws, "s3", "ls", "s3://tls-cli/", *endpoint], env=env, capture_output=True, text=True
    )
    assert refused.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in refused.stderr


def test_replication_crosses_regions_over_https(deployment: Deployment) -> None:
    source, destination = deployment.client("us-east-1"), deployment.client("eu-west-1")
    versioned_bucket(source, "tls-src", "us-east-1")
    versioned_bucket(destination, "tls-dst", "eu-west-1")
    replicate(source, "tls-src", v2_rule("tls-dst"))
    put = source.put_object(Bucket="tls-src", Key="doc", Body=b"replicated over tls")
    wait_for(lambda: status(source, "tls-src", "doc") == "COMPLETED", what="COMPLETED")
    replica = destination.get_object(Bucket="tls-dst", Key="doc")
    assert replica["Body"].read() == b"replicated over tls"
    assert replica["VersionId"] == put["VersionId"]
    assert replica["ReplicationStatus"] == "REPLICA"


def test_operator_cli_verifies_with_the_deployments_bundle(deployment: Deployment) -> None:
    result = deployment.run_cli("failures", "list", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["failures"] == []


def test_an_untrusted_destination_certificate_fails_replication_with_its_cause(
    untrusted_destination: tuple[Deployment, Authority],
) -> None:
    deployment, rogue = untrusted_destination
    source = deployment.client("us-east-1")
    versioned_bucket(source, "tls-src2", "us-east-1")
    # The test itself trusts the rogue CA to make the destination bucket; the deployment not.
    destination = _client_trusting(deployment, "eu-west-1", rogue)
    versioned_bucket(destination, "tls-dst2", "eu-west-1")
    replicate(source, "tls-src2", v2_rule("tls-dst2"))
    source.put_object(Bucket="tls-src2", Key="doc", Body=b"must not be sent")

    def failed() -> bool:
        result = deployment.run_cli("failures", "list", "--json")
        assert result.returncode == 0, result.stderr
        return bool(json.loads(result.stdout)["failures"])

    wait_for(failed, timeout_s=60, what="a recorded failure")
    [failure] = json.loads(deployment.run_cli("failures", "list", "--json").stdout)["failures"]
    assert failure["reason"] == "DstRegionUnavailable"
    assert "CERTIFICATE_VERIFY_FAILED" in failure["message"]
    assert status(source, "tls-src2", "doc") in {"PENDING", "FAILED"}
    assert destination.list_objects_v2(Bucket="tls-dst2").get("KeyCount") == 0


def _client_trusting(deployment: Deployment, region: str, ca: Authority) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=deployment.endpoint(region),
        aws_access_key_id="LIVETESTACCESSKEY000",
        aws_secret_access_key="live-test-secret-key",
        region_name=region,
        verify=str(ca.cert_path),
        config=Config(retries={"max_attempts": 1}),
    )


def test_serve_refuses_a_certificate_it_cannot_load(tmp_path: Path) -> None:
    (tmp_path / "bad.crt").write_text("not a certificate")
    (tmp_path / "bad.key").write_text("not a key")
    config = tmp_path / "ferry.toml"
    config.write_text(
        '[[regions]]\nname = "us-east-1"\nport = 1\n'
        f'tls_cert = "{tmp_path / "bad.crt"}"\ntls_key = "{tmp_path / "bad.key"}"\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "ferry", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"cannot load certificate {tmp_path / 'bad.crt'}" in result.stdout
