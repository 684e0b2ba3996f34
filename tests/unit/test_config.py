"""ferry.toml → DeploymentConfig, and every way a file can be wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ferry.config import (
    DEFAULT_ROOT_ACCESS_KEY,
    ConfigError,
    DeploymentConfig,
    RegionConfig,
    ReplicationSettings,
    default_deployment,
    load_deployment,
    one_region_deployment,
    root_credentials_from_env,
)

TWO_REGIONS = """
[[regions]]
name = "us-east-1"
port = 9000

[[regions]]
name = "eu-west-1"
port = 9001
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ferry.toml"
    path.write_text(textwrap.dedent(text))
    return path


def load(tmp_path: Path, text: str, **env: str) -> object:
    return load_deployment(write(tmp_path, text), environ=env)


def error_of(tmp_path: Path, text: str, **env: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, **env)
    return str(caught.value)


def test_minimal_file_gets_defaults_relative_to_the_file(tmp_path: Path) -> None:
    deployment = load_deployment(write(tmp_path, TWO_REGIONS), environ={})
    assert deployment.data_dir == tmp_path / "ferry-data"
    assert deployment.control_dir == tmp_path / "ferry-data" / "control"
    east, west = deployment.regions
    assert east == RegionConfig(
        name="us-east-1",
        host="127.0.0.1",
        port=9000,
        endpoint="http://127.0.0.1:9000",
        data_dir=tmp_path / "ferry-data" / "us-east-1",
    )
    assert west.data_dir == tmp_path / "ferry-data" / "eu-west-1"
    assert west.database == "sqlite"
    assert deployment.replication == ReplicationSettings(
        workers=32, retry_base_delay_s=1.0, retry_max_delay_s=60.0, lease_s=15.0
    )
    assert deployment.root.access_key == DEFAULT_ROOT_ACCESS_KEY
    assert deployment.root.defaulted
    assert deployment.source == tmp_path / "ferry.toml"


def test_full_file(tmp_path: Path) -> None:
    deployment = load_deployment(
        write(
            tmp_path,
            """
            data_dir = "/srv/ferry"
            virtual_host_domains = ["s3.example.test"]

            [root]
            access_key = "ROOTKEY"
            secret_key = "root-secret"
            account_id = "123456789012"

            [replication]
            workers = 2
            retry_base_delay_s = 0.5
            retry_max_delay_s = 30
            lease_s = 15.0

            [[regions]]
            name = "us-east-1"
            host = "0.0.0.0"
            port = 9000
            endpoint = "https://east.example.test/"
            data_dir = "east"
            database = "sqlite"

            [[regions]]
            name = "eu-west-1"
            port = 9001
            """,
        ),
        environ={},
    )
    east, west = deployment.regions
    assert deployment.data_dir == Path("/srv/ferry")
    assert east.endpoint == "https://east.example.test"
    assert east.endpoint_host == "east.example.test"
    assert east.data_dir == tmp_path / "east"
    assert east.virtual_host_domains == ("s3.example.test",)
    assert west.data_dir == Path("/srv/ferry/eu-west-1")
    assert deployment.root.access_key == "ROOTKEY"
    assert deployment.root.secret_key.reveal() == "root-secret"
    assert deployment.root.account_id == "123456789012"
    assert not deployment.root.defaulted
    assert deployment.replication == ReplicationSettings(
        workers=2, retry_base_delay_s=0.5, retry_max_delay_s=30.0, lease_s=15.0
    )


def test_environment_overrides_root_table(tmp_path: Path) -> None:
    text = TWO_REGIONS + '[root]\naccess_key = "FILEKEY"\nsecret_key = "file-secret"\n'
    deployment = load_deployment(
        write(tmp_path, text),
        environ={
            "FERRY_ROOT_ACCESS_KEY": "ENVKEY",
            "FERRY_ROOT_SECRET_KEY": "env-secret",
            "FERRY_ROOT_ACCOUNT_ID": "999999999999",
        },
    )
    assert deployment.root.access_key == "ENVKEY"
    assert deployment.root.secret_key.reveal() == "env-secret"
    assert deployment.root.account_id == "999999999999"


def test_data_dir_argument_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'data_dir = "elsewhere"\n' + TWO_REGIONS)
    deployment = load_deployment(path, data_dir=tmp_path / "override", environ={})
    assert deployment.data_dir == tmp_path / "override"
    assert deployment.regions[0].data_dir == tmp_path / "override" / "us-east-1"


def test_region_lookup_names_the_known_regions(tmp_path: Path) -> None:
    deployment = load_deployment(write(tmp_path, TWO_REGIONS), environ={})
    assert deployment.region("eu-west-1").port == 9001
    assert deployment.find_region("ap-south-1") is None
    with pytest.raises(ConfigError, match=r"no region named 'ap-south-1' \(regions: us-east-1"):
        deployment.region("ap-south-1")


def test_default_deployment_is_two_regions_on_loopback(tmp_path: Path) -> None:
    deployment = default_deployment(tmp_path, environ={})
    assert [(r.name, r.host, r.port) for r in deployment.regions] == [
        ("us-east-1", "127.0.0.1", 9000),
        ("eu-west-1", "127.0.0.1", 9001),
    ]
    assert [r.data_dir for r in deployment.regions] == [
        tmp_path / "us-east-1",
        tmp_path / "eu-west-1",
    ]
    assert deployment.control_dir == tmp_path / "control"
    assert deployment.source is None


def test_one_region_deployment_keeps_its_control_plane_in_the_region_dir(tmp_path: Path) -> None:
    region = RegionConfig(name="us-east-1", data_dir=tmp_path / "r")
    deployment = one_region_deployment(region, root_credentials_from_env({}))
    assert deployment.regions == (region,)
    assert deployment.control_dir == tmp_path / "r" / "control"


def test_root_credentials_from_env() -> None:
    root = root_credentials_from_env({"FERRY_ROOT_ACCESS_KEY": "AK1", "FERRY_ROOT_SECRET_KEY": "s"})
    assert (root.access_key, root.secret_key.reveal(), root.defaulted) == ("AK1", "s", False)
    with pytest.raises(ConfigError, match="must be set together"):
        root_credentials_from_env({"FERRY_ROOT_ACCESS_KEY": "AK1"})
    with pytest.raises(ConfigError, match="FERRY_ROOT_ACCESS_KEY: must be at least 3"):
        root_credentials_from_env({"FERRY_ROOT_ACCESS_KEY": "A", "FERRY_ROOT_SECRET_KEY": "s"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("colour = 'blue'\n" + TWO_REGIONS, "colour: unknown key"),
        (TWO_REGIONS + "[root]\nuser = 'x'\n", "root.user: unknown key"),
        (TWO_REGIONS + "[replication]\nthreads = 2\n", "replication.threads: unknown key"),
        (TWO_REGIONS + "size = 3\n", "regions[1].size: unknown key"),
        ("data_dir = 3\n" + TWO_REGIONS, "data_dir: must be a string, got an integer"),
        ("data_dir = ''\n" + TWO_REGIONS, "data_dir: must not be empty"),
        ("virtual_host_domains = 'x'\n" + TWO_REGIONS, "virtual_host_domains: must be an array"),
        ("virtual_host_domains = [1]\n" + TWO_REGIONS, "virtual_host_domains[0]: must be a non"),
        ("root = 1\n" + TWO_REGIONS, "root: must be a table, got an integer"),
        (TWO_REGIONS + "[root]\naccess_key = 7\n", "root.access_key: must be a string"),
        (TWO_REGIONS + "[root]\naccess_key = 'AKEY'\n", "root.secret_key: missing"),
        (TWO_REGIONS + "[root]\nsecret_key = 'x'\n", "root.access_key: missing"),
        (
            TWO_REGIONS + "[root]\naccess_key = 'A'\nsecret_key = 'x'\n",
            "root.access_key: must be at least 3 characters",
        ),
        ("", "regions: missing"),
        ("regions = []\n", "regions: must be a non-empty array"),
        ("regions = 'us-east-1'\n", "regions: must be a non-empty array"),
        ("regions = [1]\n", "regions[0]: must be a table, got an integer"),
        ("[[regions]]\nport = 9000\n", "regions[0].name: missing"),
        ("[[regions]]\nname = 'us-east-1'\n", "regions[0].port: missing"),
        ("[[regions]]\nname = 5\nport = 9000\n", "regions[0].name: must be a string"),
        ("[[regions]]\nname = 'US East'\nport = 9000\n", "regions[0].name: 'US East' is not"),
        ("[[regions]]\nname = 'control'\nport = 9000\n", "regions[0].name: 'control' is not"),
        ("[[regions]]\nname = 'a'\nport = '9000'\n", "regions[0].port: must be an integer"),
        ("[[regions]]\nname = 'a'\nport = true\n", "regions[0].port: must be an integer"),
        ("[[regions]]\nname = 'a'\nport = 9000.5\n", "regions[0].port: must be an integer"),
        ("[[regions]]\nname = 'a'\nport = 0\n", "regions[0].port: must be between 1 and 65535"),
        ("[[regions]]\nname = 'a'\nport = 70000\n", "regions[0].port: must be between 1 and"),
        ("[[regions]]\nname = 'a'\nport = 1\nhost = ''\n", "regions[0].host: must not be empty"),
        (
            "[[regions]]\nname = 'a'\nport = 1\nendpoint = 'a.test'\n",
            "regions[0].endpoint: must start with http:// or https://",
        ),
        (
            "[[regions]]\nname = 'a'\nport = 1\ndatabase = 'postgres'\n",
            "regions[0].database: unsupported database 'postgres'",
        ),
        (
            TWO_REGIONS + "[[regions]]\nname = 'us-east-1'\nport = 9002\n",
            "regions[2].name: duplicate region 'us-east-1' (also regions[0])",
        ),
        (
            TWO_REGIONS + "[[regions]]\nname = 'ap-south-1'\nport = 9001\n",
            "regions[2].port: duplicate port 9001 (also regions[1])",
        ),
        (
            TWO_REGIONS + "[[regions]]\nname = 'ap-south-1'\nport = 9002\ndata_dir = 'ferry-data'"
            "\n[[regions]]\nname = 'ap-east-1'\nport = 9003\ndata_dir = 'ferry-data'\n",
            "regions[3].data_dir: already used by another region",
        ),
        (
            TWO_REGIONS + "[[regions]]\nname = 'x'\nport = 9003\ndata_dir = 'ferry-data/control'\n",
            "regions[2].data_dir: already used by another region or the control plane",
        ),
        (TWO_REGIONS + "replication = 3\n", "regions[1].replication: unknown key"),
        ("replication = 3\n" + TWO_REGIONS, "replication: must be a table"),
        ("[replication]\nworkers = 0\n" + TWO_REGIONS, "replication.workers: must be at least 1"),
        ("[replication]\nworkers = 1.5\n" + TWO_REGIONS, "replication.workers: must be an int"),
        ("[replication]\nlease_s = 'x'\n" + TWO_REGIONS, "replication.lease_s: must be a number"),
        ("[replication]\nlease_s = 0\n" + TWO_REGIONS, "replication.lease_s: must be greater"),
        (
            "[replication]\nretry_base_delay_s = 5\nretry_max_delay_s = 1\n" + TWO_REGIONS,
            "replication.retry_max_delay_s: must not be smaller than retry_base_delay_s",
        ),
        ("regions = [", "not valid TOML"),
        (
            "[[regions]]\nname = 'a'\nport = 1\ntls_cert = 'c.pem'\n",
            "regions[0].tls_key: missing: HTTPS needs both tls_cert and tls_key",
        ),
        (
            "[[regions]]\nname = 'a'\nport = 1\ntls_key = 'k.pem'\n",
            "regions[0].tls_cert: missing: HTTPS needs both",
        ),
        (
            "[[regions]]\nname = 'a'\nport = 1\ntls_cert = 'c'\ntls_key = 'k'\n"
            "endpoint = 'http://a.test'\n",
            "regions[0].endpoint: must be https:// with tls_cert",
        ),
        ("[tls]\nca = 'x'\n" + TWO_REGIONS, "tls.ca: unknown key"),
        ("[tls]\nca_bundle = 3\n" + TWO_REGIONS, "tls.ca_bundle: must be a string"),
    ],
)
def test_errors_name_the_file_the_key_and_the_problem(
    tmp_path: Path, text: str, expected: str
) -> None:
    message = error_of(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'ferry.toml'}: "), message
    assert expected in message, message


def test_same_port_on_distinct_remote_hosts_is_allowed(tmp_path: Path) -> None:
    text = (
        "[[regions]]\nname = 'a'\nhost = 'a.example.test'\nport = 9000\n"
        "[[regions]]\nname = 'b'\nhost = 'b.example.test'\nport = 9000\n"
    )
    deployment = load_deployment(write(tmp_path, text), environ={})
    assert [r.endpoint for r in deployment.regions] == [
        "http://a.example.test:9000",
        "http://b.example.test:9000",
    ]
    clash = "[[regions]]\nname = 'a'\nport = 9000\n[[regions]]\nname = 'b'\nhost = '0.0.0.0'\n"
    assert "regions[1].port: duplicate port 9000" in error_of(tmp_path, clash + "port = 9000\n")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: cannot read"):
        load_deployment(tmp_path / "nope.toml", environ={})


def test_half_set_environment_credentials_are_an_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, TWO_REGIONS, FERRY_ROOT_SECRET_KEY="s")
    assert "FERRY_ROOT_ACCESS_KEY and FERRY_ROOT_SECRET_KEY must be set together" in message


def test_example_file_in_the_repository_loads() -> None:
    example = Path(__file__).resolve().parents[2] / "ferry.example.toml"
    deployment = load_deployment(example, environ={})
    assert [r.name for r in deployment.regions] == ["us-east-1", "eu-west-1"]


def test_the_console_is_on_by_default_and_console_table_sets_it(tmp_path: Path) -> None:
    deployment = load_deployment(write(tmp_path, TWO_REGIONS), environ={})
    assert deployment.console.enabled and deployment.console.session_ttl_s == 8 * 3600
    off = load_deployment(
        write(tmp_path, TWO_REGIONS + "[console]\nenabled = false\nsession_ttl_s = 60\n"),
        environ={},
    )
    assert not off.console.enabled and off.console.session_ttl_s == 60


def test_a_bad_console_setting_names_its_key(tmp_path: Path) -> None:
    assert "console.session_ttl_s" in error_of(
        tmp_path, TWO_REGIONS + "[console]\nsession_ttl_s = 0\n"
    )
    assert "console" in error_of(tmp_path, TWO_REGIONS + "[console]\nport = 1\n")


def test_lifecycle_table_shortens_the_day_and_bounds_passes(tmp_path: Path) -> None:
    default = load_deployment(write(tmp_path, TWO_REGIONS), environ={}).lifecycle
    assert (default.day_seconds, default.keys_per_pass) == (86400.0, 10000)
    lifecycle = load_deployment(
        write(tmp_path, TWO_REGIONS + "[lifecycle]\nday_seconds = 1\npass_interval_s = 0.5\n"
              "keys_per_pass = 7\nkeys_per_transaction = 3\n"),
        environ={},
    ).lifecycle  # fmt: skip
    assert (lifecycle.day_seconds, lifecycle.pass_interval_s) == (1.0, 0.5)
    assert (lifecycle.keys_per_pass, lifecycle.keys_per_transaction) == (7, 3)
    assert "lifecycle.day_seconds" in error_of(
        tmp_path, TWO_REGIONS + "[lifecycle]\nday_seconds = 0\n"
    )
    assert "lifecycle.keys_per_pass" in error_of(
        tmp_path, TWO_REGIONS + "[lifecycle]\nkeys_per_pass = -1\n"
    )
    assert "lifecycle" in error_of(tmp_path, TWO_REGIONS + "[lifecycle]\ndays = 1\n")


def test_metrics_are_served_but_closed_by_default_and_the_metrics_table_sets_them(
    tmp_path: Path,
) -> None:
    deployment = load_deployment(write(tmp_path, TWO_REGIONS), environ={})
    metrics = deployment.metrics
    assert (metrics.enabled, metrics.public, metrics.bearer_token) == (True, False, None)
    assert deployment.replication.rtc_threshold_s == 15 * 60
    opened = load_deployment(
        write(
            tmp_path,
            TWO_REGIONS + '[metrics]\npublic = true\nbearer_token = "s3cr3t-value"\n'
            "[replication]\nrtc_threshold_s = 2\n",
        ),
        environ={},
    )
    token = opened.metrics.bearer_token
    assert opened.metrics.public and token is not None and token.reveal() == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(opened.metrics)  # a Secret
    assert opened.replication.rtc_threshold_s == 2.0
    assert "metrics" in error_of(tmp_path, TWO_REGIONS + "[metrics]\nport = 1\n")
    assert "replication.rtc_threshold_s" in error_of(
        tmp_path, TWO_REGIONS + "[replication]\nrtc_threshold_s = 0\n"
    )


def test_tls_settings_make_https_endpoints_and_resolve_paths(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        [tls]
        ca_bundle = "certs/ca.pem"
        [[regions]]
        name = "us-east-1"
        port = 9443
        tls_cert = "certs/us.crt"
        tls_key = "certs/us.key"
        [[regions]]
        name = "eu-west-1"
        port = 9001
        """,
    )
    assert isinstance(config, DeploymentConfig)
    secure, plain = config.regions
    assert secure.endpoint == "https://127.0.0.1:9443"
    assert (secure.tls_cert, secure.tls_key) == (
        tmp_path / "certs/us.crt",
        tmp_path / "certs/us.key",
    )
    assert plain.endpoint == "http://127.0.0.1:9001" and plain.tls_cert is None
    assert config.tls_ca_bundle == tmp_path / "certs/ca.pem"
