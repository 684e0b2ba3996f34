"""The replication rule editor's form ↔ one `<Rule>` of a ReplicationConfiguration.

The console builds the XML a PutBucketReplication carries and lets the API validate it, so the
messages the editor shows are PutBucketReplication's own. Rules the form does not edit are
kept exactly as GetBucketReplication returned them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from xml.etree.ElementTree import Element, tostring
from xml.sax.saxutils import escape

from ferry.console.xmldoc import text

STORAGE_CLASSES = (
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "GLACIER_IR",
    "DEEP_ARCHIVE",
)
RTC_MINUTES = 15  # the only threshold AWS accepts
BUCKET_ARN = "arn:aws:s3:::"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleForm:
    rule_id: str = ""
    priority: str = "1"
    enabled: bool = True
    scope: str = "all"  # all | prefix | tags
    prefix: str = ""
    tags: str = ""  # one key=value a line
    destination: str = ""  # bucket name or ARN
    account: str = ""  # the destination bucket's account, when another
    owner_override: bool = False  # AccessControlTranslation: the destination owns replicas
    storage_class: str = ""  # "": the source's
    delete_markers: bool = False
    replica_modifications: bool = False
    kms_objects: bool = False  # replicate SSE-KMS objects
    replica_kms_key: str = ""
    rtc: bool = False
    metrics: bool = False

    @property
    def destination_bucket(self) -> str:
        return self.destination.removeprefix(BUCKET_ARN).strip()

    @property
    def tag_pairs(self) -> list[tuple[str, str]]:
        pairs = []
        for line in self.tags.splitlines():
            key, _, value = line.strip().partition("=")
            if key:
                pairs.append((key.strip(), value.strip()))
        return pairs


def parse_rule_form(form: Mapping[str, str]) -> RuleForm:
    return RuleForm(
        rule_id=form.get("rule_id", "").strip(),
        priority=form.get("priority", "1").strip() or "1",
        enabled=form.get("status", "Enabled") == "Enabled",
        scope=form.get("scope", "all"),
        prefix=form.get("prefix", ""),
        tags=form.get("tags", ""),
        destination=form.get("destination", "").strip(),
        account=form.get("account", "").strip(),
        owner_override=form.get("owner_override") == "on",
        storage_class=form.get("storage_class", ""),
        delete_markers=form.get("delete_markers") == "on",
        replica_modifications=form.get("replica_modifications") == "on",
        kms_objects=form.get("kms_objects") == "on",
        replica_kms_key=form.get("replica_kms_key", "").strip(),
        rtc=form.get("rtc") == "on",
        metrics=form.get("metrics") == "on",
    )


def render_rule(rule: RuleForm) -> str:
    parts = [
        f"<ID>{escape(rule.rule_id)}</ID>" if rule.rule_id else "",
        f"<Priority>{escape(rule.priority)}</Priority>",
        f"<Status>{'Enabled' if rule.enabled else 'Disabled'}</Status>",
        _render_filter(rule),
    ]
    if rule.kms_objects or rule.replica_modifications:
        criteria = ""
        if rule.kms_objects:
            criteria += "<SseKmsEncryptedObjects><Status>Enabled</Status></SseKmsEncryptedObjects>"
        if rule.replica_modifications:
            criteria += "<ReplicaModifications><Status>Enabled</Status></ReplicaModifications>"
        parts.append(f"<SourceSelectionCriteria>{criteria}</SourceSelectionCriteria>")
    parts.append(
        "<DeleteMarkerReplication><Status>"
        f"{'Enabled' if rule.delete_markers else 'Disabled'}</Status></DeleteMarkerReplication>"
    )
    parts.append(f"<Destination>{_render_destination(rule)}</Destination>")
    return "<Rule>" + "".join(parts) + "</Rule>"


def _render_filter(rule: RuleForm) -> str:
    if rule.scope == "prefix":
        return f"<Filter><Prefix>{escape(rule.prefix)}</Prefix></Filter>"
    if rule.scope == "tags":
        tags = [
            f"<Tag><Key>{escape(k)}</Key><Value>{escape(v)}</Value></Tag>"
            for k, v in rule.tag_pairs
        ]
        if len(tags) == 1 and not rule.prefix:
            return f"<Filter>{tags[0]}</Filter>"
        prefix = f"<Prefix>{escape(rule.prefix)}</Prefix>" if rule.prefix else ""
        return f"<Filter><And>{prefix}{''.join(tags)}</And></Filter>"
    return "<Filter><Prefix></Prefix></Filter>"


def _render_destination(rule: RuleForm) -> str:
    parts = [f"<Bucket>{BUCKET_ARN}{escape(rule.destination_bucket)}</Bucket>"]
    if rule.account:
        parts.append(f"<Account>{escape(rule.account)}</Account>")
    if rule.storage_class:
        parts.append(f"<StorageClass>{escape(rule.storage_class)}</StorageClass>")
    if rule.owner_override:
        parts.append(
            "<AccessControlTranslation><Owner>Destination</Owner></AccessControlTranslation>"
        )
    if rule.replica_kms_key:
        parts.append(
            f"<EncryptionConfiguration><ReplicaKmsKeyID>{escape(rule.replica_kms_key)}"
            "</ReplicaKmsKeyID></EncryptionConfiguration>"
        )
    if rule.rtc:
        parts.append(
            f"<ReplicationTime><Status>Enabled</Status><Time><Minutes>{RTC_MINUTES}"
            "</Minutes></Time></ReplicationTime>"
        )
    if rule.metrics or rule.rtc:
        parts.append(
            f"<Metrics><Status>Enabled</Status><EventThreshold><Minutes>{RTC_MINUTES}"
            "</Minutes></EventThreshold></Metrics>"
        )
    return "".join(parts)


def rule_form_of(rule: Element) -> RuleForm:
    """The editor's view of a stored rule (what the form cannot show stays in the XML)."""
    tags = "\n".join(f"{text(t, 'Key')}={text(t, 'Value')}" for t in rule.iter("Tag"))
    prefix = text(rule, "Filter/Prefix") or text(rule, "Filter/And/Prefix") or text(rule, "Prefix")
    scope = "tags" if tags else ("prefix" if prefix else "all")
    return RuleForm(
        rule_id=text(rule, "ID"),
        priority=text(rule, "Priority", "1"),
        enabled=text(rule, "Status") == "Enabled",
        scope=scope,
        prefix=prefix,
        tags=tags,
        destination=text(rule, "Destination/Bucket").removeprefix(BUCKET_ARN),
        account=text(rule, "Destination/Account"),
        owner_override=text(rule, "Destination/AccessControlTranslation/Owner") == "Destination",
        storage_class=text(rule, "Destination/StorageClass"),
        delete_markers=text(rule, "DeleteMarkerReplication/Status") == "Enabled",
        replica_modifications=(
            text(rule, "SourceSelectionCriteria/ReplicaModifications/Status") == "Enabled"
        ),
        kms_objects=text(rule, "SourceSelectionCriteria/SseKmsEncryptedObjects/Status")
        == "Enabled",
        replica_kms_key=text(rule, "Destination/EncryptionConfiguration/ReplicaKmsKeyID"),
        rtc=text(rule, "Destination/ReplicationTime/Status") == "Enabled",
        metrics=text(rule, "Destination/Metrics/Status") == "Enabled",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Configuration:
    role: str = ""
    rules: Sequence[Element] = field(default_factory=tuple)

    @property
    def forms(self) -> list[RuleForm]:
        return [rule_form_of(rule) for rule in self.rules]


def configuration_of(root: Element | None) -> Configuration:
    if root is None:
        return Configuration()
    return Configuration(role=text(root, "Role"), rules=tuple(root.findall("Rule")))


def render_configuration(role: str, kept: Sequence[Element], rule: RuleForm | None = None) -> bytes:
    rules = [tostring(r, encoding="unicode") for r in kept]
    if rule is not None:
        rules.append(render_rule(rule))
    return (
        '<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Role>{escape(role)}</Role>{''.join(rules)}</ReplicationConfiguration>"
    ).encode()


def without_rule(config: Configuration, rule_id: str) -> list[Element]:
    return [r for r in config.rules if text(r, "ID") != rule_id]


def reverse_rule(rule: RuleForm, source_bucket: str, taken_ids: Sequence[str]) -> RuleForm:
    """The two-way lab's second rule: the same scope and options, back to `source_bucket`."""
    rule_id = f"{rule.rule_id or 'rule'}-back"
    while rule_id in taken_ids:
        rule_id += "-1"
    return replace(
        rule,
        rule_id=rule_id[:255],
        destination=source_bucket,
        account="",
        owner_override=False,
        replica_modifications=True,
    )
