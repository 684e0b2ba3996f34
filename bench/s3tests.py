"""Run Ceph's s3-tests (an outside S3 conformance suite) against a live `ferry up`.

    .venv/bin/python -m bench.s3tests --s3tests /path/to/s3-tests [-k EXPR] [--keep DIR]

The checkout is the caller's (`git clone https://github.com/ceph/s3-tests`, then
`python3.11 -m venv .venv && .venv/bin/pip install -r requirements.txt` inside it): nothing is
fetched here. The script starts `ferry up` on ephemeral ports over a generated ferry.toml,
creates the suite's three users as Ferry accounts (`main`, `alt`, `tenant`), writes the suite's
config file, runs `s3tests/functional/test_s3.py` with the suite's own Python (features Ferry
does not claim deselected, see `UNCLAIMED`), and prints pass rates per area. Exit status 0
when the suite ran (whatever it found), 1 when it could not.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT_ACCESS_KEY = "S3TESTSROOTACCESSKEY"
ROOT_SECRET_KEY = "s3tests-root-secret-key"
READY_TIMEOUT_S = 60.0
DISPLAY_NAME = "ferry"  # what Ferry writes as every Owner's DisplayName (handlers/views.py)

# Markers of features Ferry does not claim (or that are RGW's own extensions).
UNCLAIMED_MARKERS = (
    "fails_on_aws", "lifecycle", "lifecycle_expiration", "lifecycle_transition",
    "object_lock", "s3website", "s3website_routing_rules", "s3website_redirect_location",
    "s3select", "sns", "bucket_logging", "bucket_logging_cleanup", "appendobject",
    "cloud_transition", "cloud_restore", "iam_account", "iam_cross_account", "iam_role",
    "iam_tenant", "iam_user", "role_policy", "session_policy", "user_policy", "group",
    "group_policy", "abac_test", "webidentity_test", "test_of_sts", "object_ownership",
    "storage_class", "fails_without_logging_rollover", "target_by_bucket",
)  # fmt: skip
# Words in test names of features without a marker that Ferry does not claim.
UNCLAIMED = (
    "lifecycle", "object_lock", "cors", "website", "logging", "ownership",
    "public_access_block", "block_public", "restore", "torrent", "select_object",
    "accelerate", "request_payment", "_lc_", "bucket_policy_different_tenant",
    "tenant",
)  # fmt: skip

# Areas of the target (>= 95% each), by words in the test's name; first match wins.
AREAS = (
    ("encryption", ("encryption", "sse", "kms")),
    ("versioning", ("versioning", "versioned", "version")),
    ("acl/tagging", ("acl", "tagging", "_tags", "grant")),
)
CORE = "core"


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    access_key: str
    secret_key: str
    canonical_id: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_deployment(root: Path, port: int) -> Path:
    config = root / "ferry.toml"
    config.write_text(
        "\n".join(
            [
                'data_dir = "data"',
                "[root]",
                f'access_key = "{ROOT_ACCESS_KEY}"',
                f'secret_key = "{ROOT_SECRET_KEY}"',
                "[[regions]]",
                'name = "us-east-1"',
                f"port = {port}",
            ]
        )
        + "\n"
    )
    return config


def start_ferry(config: Path, log_path: Path, endpoint: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FERRY_ROOT_")}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ferry", "up", "--config", str(config)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ferry up exited: {log_path.read_text(errors='replace')}")
        try:
            if httpx.get(endpoint + "/_ferry/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_ferry(process)
    raise RuntimeError("ferry up did not become ready")


def stop_ferry(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def create_account(config: Path, endpoint: str, name: str) -> Account:
    env = dict(
        os.environ, FERRY_ROOT_ACCESS_KEY=ROOT_ACCESS_KEY, FERRY_ROOT_SECRET_KEY=ROOT_SECRET_KEY
    )
    argv = [sys.executable, "-m", "ferry", "accounts", "create", name, "--json"]
    out = subprocess.run(
        [*argv, "--endpoint", endpoint], env=env, check=True, capture_output=True, text=True
    ).stdout
    created = json.loads(out)
    return Account(
        name=name,
        access_key=created["access_key_id"],
        secret_key=created["secret_access_key"],
        canonical_id=created["canonical_id"],
    )


def create_kms_keys(endpoint: str, account: Account) -> tuple[str, str]:
    """Two KMS keys of the main account, for the suite's SSE-KMS tests."""
    import boto3

    kms = boto3.client(
        "kms", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=account.access_key, aws_secret_access_key=account.secret_key,
    )  # fmt: skip
    first, second = (kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2))
    return first, second


def suite_config(
    port: int, main: Account, alt: Account, tenant: Account, kms_keys: tuple[str, str]
) -> str:
    def user(section: str, account: Account, extra: str = "") -> str:
        return (
            f"[{section}]\ndisplay_name = {DISPLAY_NAME}\nuser_id = {account.canonical_id}\n"
            f"email = {account.name}@example.com\naccess_key = {account.access_key}\n"
            f"secret_key = {account.secret_key}\n{extra}"
        )

    return "\n".join(
        [
            f"[DEFAULT]\nhost = 127.0.0.1\nport = {port}\nis_secure = False\nssl_verify = False\n",
            "[fixtures]\nbucket prefix = s3t-{random}-\n",
            user(
                "s3 main",
                main,
                f"api_name = us-east-1\nkms_keyid = {kms_keys[0]}\nkms_keyid2 = {kms_keys[1]}\n",
            ),
            user("s3 alt", alt),
            user("s3 tenant", tenant, "tenant = tenant\n"),
            user("iam", main),
            user("iam root", main),
            user("iam alt root", alt),
        ]
    )


def area_of(test_name: str) -> str:
    for area, words in AREAS:
        if any(word in test_name for word in words):
            return area
    return CORE


def marker_expression() -> str:
    return " and ".join(f"not {marker}" for marker in UNCLAIMED_MARKERS)


def keyword_expression(extra: str | None) -> str:
    expression = " and ".join(f"not {word}" for word in UNCLAIMED)
    return f"({expression}) and ({extra})" if extra else expression


def run_suite(checkout: Path, python: Path, conf: Path, junit: Path, extra_k: str | None) -> int:
    argv = [
        str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "s3tests/functional/test_s3.py", "-m", marker_expression(),
        "-k", keyword_expression(extra_k), f"--junitxml={junit}", "-o", "junit_family=xunit1",
    ]  # fmt: skip
    env = dict(os.environ, S3TEST_CONF=str(conf))
    return subprocess.run(argv, cwd=checkout, env=env).returncode


def outcomes(junit: Path) -> dict[str, str]:
    """Test name → passed / failed / error / skipped."""
    found: dict[str, str] = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        name = case.get("name", "")
        if case.find("failure") is not None:
            found[name] = "failed"
        elif case.find("error") is not None:
            found[name] = "error"
        elif case.find("skipped") is not None:
            found[name] = "skipped"
        else:
            found[name] = "passed"
    return found


def report(results: dict[str, str]) -> str:
    per_area: dict[str, Counter[str]] = {}
    for name, outcome in results.items():
        per_area.setdefault(area_of(name), Counter())[outcome] += 1
    lines = [f"{'area':<12} {'passed':>6} {'failed':>6} {'error':>6} {'skip':>5}  pass rate"]
    for area in (CORE, *(a for a, _ in AREAS)):
        counts = per_area.get(area, Counter())
        ran = counts["passed"] + counts["failed"] + counts["error"]
        rate = f"{100 * counts['passed'] / ran:.1f}%" if ran else "-"
        lines.append(
            f"{area:<12} {counts['passed']:>6} {counts['failed']:>6} {counts['error']:>6} "
            f"{counts['skipped']:>5}  {rate}"
        )
    failing = sorted(n for n, o in results.items() if o in ("failed", "error"))
    lines.append("")
    lines.append("not passing: " + (" ".join(failing) if failing else "none"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--s3tests", type=Path, required=True, help="the s3-tests checkout")
    parser.add_argument(
        "--python", type=Path, help="the suite's Python (default: <checkout>/.venv/bin/python)"
    )
    parser.add_argument("-k", dest="extra_k", help="a further pytest -k expression")
    parser.add_argument("--keep", type=Path, help="keep the deployment, config and junit here")
    args = parser.parse_args(argv)
    checkout: Path = args.s3tests.resolve()
    python = args.python or checkout / ".venv" / "bin" / "python"
    if not (checkout / "s3tests" / "functional" / "test_s3.py").exists() or not python.exists():
        print(f"s3tests: no s3-tests checkout with its venv at {checkout}", file=sys.stderr)
        return 1
    root = args.keep or Path(tempfile.mkdtemp(prefix="ferry-s3tests-"))
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    config = write_deployment(root, port)
    process = start_ferry(config, root / "ferry-up.log", endpoint)
    try:
        main_user, alt, tenant = (
            create_account(config, endpoint, name) for name in ("main", "alt", "tenant")
        )
        conf = root / "s3tests.conf"
        keys = create_kms_keys(endpoint, main_user)
        conf.write_text(suite_config(port, main_user, alt, tenant, keys))
        junit = root / "junit.xml"
        run_suite(checkout, python, conf, junit, args.extra_k)
    finally:
        stop_ferry(process)
    if not junit.exists():
        print("s3tests: the suite wrote no results", file=sys.stderr)
        return 1
    print(report(outcomes(junit)))
    print(f"\n(deployment, config and junit in {root})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
