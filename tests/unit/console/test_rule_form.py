from __future__ import annotations

from ferry.console.rule_form import (
    RuleForm,
    configuration_of,
    parse_rule_form,
    render_configuration,
    reverse_rule,
    rule_form_of,
    without_rule,
)
from ferry.console.validation import document_problem
from ferry.console.xmldoc import parse_xml
from ferry.protocol.xml import parse_replication_configuration

ROLE = "arn:aws:iam::000000000001:role/r"
FULL_FORM = {
    "rule_id": "to-eu",
    "priority": "2",
    "status": "Enabled",
    "scope": "tags",
    "prefix": "logs/",
    "tags": "team=data\nkeep = yes",
    "destination": "arn:aws:s3:::eu",
    "account": "000000000002",
    "owner_override": "on",
    "storage_class": "STANDARD_IA",
    "delete_markers": "on",
    "replica_modifications": "on",
    "kms_objects": "on",
    "replica_kms_key": "arn:aws:kms:eu-west-1:000000000002:key/k",
    "rtc": "on",
}


def round_trip(rule: RuleForm) -> RuleForm:
    document = render_configuration(ROLE, [], rule)
    config = configuration_of(parse_xml(document))
    assert config.role == ROLE
    [back] = config.forms
    return back


def test_every_field_of_the_editor_survives_the_document_and_back() -> None:
    rule = parse_rule_form(FULL_FORM)
    assert rule.destination_bucket == "eu"
    assert rule.tag_pairs == [("team", "data"), ("keep", "yes")]
    back = round_trip(rule)
    assert (back.rule_id, back.priority, back.enabled) == ("to-eu", "2", True)
    assert (back.scope, back.prefix, back.tags) == ("tags", "logs/", "team=data\nkeep=yes")
    assert (back.destination, back.account, back.owner_override) == ("eu", "000000000002", True)
    assert (back.storage_class, back.delete_markers, back.replica_modifications) == (
        "STANDARD_IA",
        True,
        True,
    )
    assert (back.kms_objects, back.replica_kms_key, back.rtc, back.metrics) == (
        True,
        "arn:aws:kms:eu-west-1:000000000002:key/k",
        True,
        True,
    )


def test_the_rendered_document_is_one_the_api_codec_parses() -> None:
    without_markers = {k: v for k, v in FULL_FORM.items() if k != "delete_markers"}
    document = render_configuration(ROLE, [], parse_rule_form(without_markers))
    config = parse_replication_configuration(document)
    [rule] = config.rules
    assert rule.id == "to-eu" and rule.priority == 2
    assert document_problem(document, "us") is None


def test_the_live_check_refuses_delete_markers_with_a_tag_filter_as_aws_does() -> None:
    document = render_configuration(ROLE, [], parse_rule_form(FULL_FORM))
    problem = document_problem(document, "us")
    assert problem is not None and problem[0] == "InvalidRequest"
    assert "Delete marker replication is not supported if any Tag filter" in problem[1]


def test_a_whole_bucket_rule_and_a_prefix_rule_render_their_filters() -> None:
    whole = round_trip(RuleForm(rule_id="a", destination="eu"))
    assert (whole.scope, whole.prefix, whole.delete_markers) == ("all", "", False)
    by_prefix = round_trip(RuleForm(rule_id="b", scope="prefix", prefix="img/", destination="eu"))
    assert (by_prefix.scope, by_prefix.prefix) == ("prefix", "img/")


def test_the_live_check_answers_with_put_bucket_replication_codes() -> None:
    bad_priority = render_configuration(ROLE, [], RuleForm(priority="x", destination="eu"))
    assert document_problem(bad_priority, "us") is not None
    to_itself = render_configuration(ROLE, [], RuleForm(rule_id="a", destination="us"))
    problem = document_problem(to_itself, "us")
    assert problem is not None and problem[0] in ("InvalidRequest", "InvalidArgument")


def test_other_rules_are_kept_as_stored_and_one_can_be_replaced() -> None:
    two = render_configuration(ROLE, [], RuleForm(rule_id="a", destination="eu"))
    config = configuration_of(parse_xml(two))
    document = render_configuration(
        ROLE, config.rules, RuleForm(rule_id="b", priority="2", destination="ap")
    )
    both = configuration_of(parse_xml(document))
    assert [f.rule_id for f in both.forms] == ["a", "b"]
    assert [r.get("ID") for r in without_rule(both, "a")] == [None]
    assert [
        f.destination
        for f in configuration_of(
            parse_xml(render_configuration(ROLE, without_rule(both, "a")))
        ).forms
    ] == ["ap"]


def test_replicate_back_points_the_same_rule_home_with_a_fresh_id() -> None:
    rule = rule_form_of(parse_xml(render_configuration(ROLE, [], parse_rule_form(FULL_FORM)))[1])
    back = reverse_rule(rule, "us", ["to-eu-back"])
    assert back.rule_id == "to-eu-back-1"
    assert (back.destination, back.account, back.owner_override) == ("us", "", False)
    assert back.replica_modifications and back.scope == rule.scope
