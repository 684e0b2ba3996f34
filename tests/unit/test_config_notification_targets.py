"""`[[notification_targets]]` and `[events]` in ferry.toml."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ferry.config import (
    ConfigError,
    EventSettings,
    NotificationTarget,
    TargetType,
    load_deployment,
)

REGION = '[[regions]]\nname = "us-east-1"\nport = 9000\n'


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "ferry.toml"
    path.write_text(REGION + textwrap.dedent(text))
    return load_deployment(path, environ={})


def test_every_target_type_parses(tmp_path: Path) -> None:
    deployment = load(
        tmp_path,
        """
        [events]
        retry_base_delay_s = 0.5
        retry_max_delay_s = 5
        [[notification_targets]]
        arn = "arn:ferry:webhook:::hooks"
        type = "webhook"
        url = "http://127.0.0.1:8080/events"
        [[notification_targets]]
        arn = "arn:ferry:nats:::n"
        type = "nats"
        servers = ["nats://127.0.0.1:4222"]
        subject = "ferry.events"
        [[notification_targets]]
        arn = "arn:ferry:amqp:::a"
        type = "amqp"
        url = "amqp://guest:guest@127.0.0.1:5672/"
        exchange = "ferry"
        routing_key = "events"
        [[notification_targets]]
        arn = "arn:ferry:redis:::r"
        type = "redis"
        url = "redis://127.0.0.1:6379/0"
        stream = "ferry-events"
        """,
    )
    assert deployment.events == EventSettings(retry_base_delay_s=0.5, retry_max_delay_s=5.0)
    assert deployment.notification_targets == (
        NotificationTarget(arn="arn:ferry:webhook:::hooks", type=TargetType.WEBHOOK,
                           url="http://127.0.0.1:8080/events"),
        NotificationTarget(arn="arn:ferry:nats:::n", type=TargetType.NATS,
                           servers=("nats://127.0.0.1:4222",), subject="ferry.events"),
        NotificationTarget(arn="arn:ferry:amqp:::a", type=TargetType.AMQP,
                           url="amqp://guest:guest@127.0.0.1:5672/", exchange="ferry",
                           routing_key="events"),
        NotificationTarget(arn="arn:ferry:redis:::r", type=TargetType.REDIS,
                           url="redis://127.0.0.1:6379/0", stream="ferry-events"),
    )  # fmt: skip


def test_no_targets_by_default(tmp_path: Path) -> None:
    deployment = load(tmp_path, "")
    assert deployment.notification_targets == ()
    assert deployment.events == EventSettings()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[notification_targets]]\ntype = "webhook"\nurl = "http://x"\n',
         "notification_targets[0].arn: missing"),
        ('[[notification_targets]]\narn = "a"\ntype = "kafka"\n',
         "notification_targets[0].type: must be one of: webhook, nats, amqp, redis"),
        ('[[notification_targets]]\narn = "a"\ntype = "webhook"\n',
         "notification_targets[0].url: missing (needed by type 'webhook')"),
        ('[[notification_targets]]\narn = "a"\ntype = "webhook"\nurl = "http://x"\nsubject = "s"\n',
         "notification_targets[0].subject: unknown key"),
        ('[[notification_targets]]\narn = "a"\ntype = "nats"\nservers = []\nsubject = "s"\n',
         "notification_targets[0].servers: must be a non-empty array of URLs"),
        ('[[notification_targets]]\narn = "a"\ntype = "redis"\nurl = "redis://x"\nstream = ""\n',
         "notification_targets[0].stream: must not be empty"),
        ('[[notification_targets]]\narn = "a"\ntype = "webhook"\nurl = "http://x"\n'
         '[[notification_targets]]\narn = "a"\ntype = "webhook"\nurl = "http://y"\n',
         "notification_targets[1].arn: duplicate arn"),
        ("[events]\nretry_base_delay_s = 0\n", "events.retry_base_delay_s: must be greater than 0"),
        ("[events]\nbogus = 1\n", "events.bogus: unknown key"),
    ],
)  # fmt: skip
def test_target_errors_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, text)
    assert str(raised.value).startswith(f"{tmp_path / 'ferry.toml'}: {message}")
