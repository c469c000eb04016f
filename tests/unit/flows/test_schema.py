"""The JSON Schema, built from the node registry."""
from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from ivr.flows.nodes import REGISTRY
from ivr.flows.schedule import SCHEDULES_FILE_SCHEMA
from ivr.flows.schema import flow_schema


def test_given_the_registry_when_the_schema_is_built_then_it_is_a_valid_json_schema_with_every_kind():
    schema = flow_schema()
    Draft202012Validator.check_schema(schema)
    Draft202012Validator.check_schema(SCHEDULES_FILE_SCHEMA)
    assert set(REGISTRY) <= set(schema["$defs"])
    json.dumps(schema)  # printable as JSON


def test_given_a_queue_with_a_language_then_the_schema_does_not_also_treat_it_as_a_language_node():
    validator = Draft202012Validator(flow_schema())
    good = {"start": "q", "nodes": {"q": {"queue": "billing", "language": "fr"}}}
    assert list(validator.iter_errors(good)) == []


def test_given_every_kind_then_each_has_a_docstring_with_an_example():
    for kind, node in REGISTRY.items():
        module = __import__(node.__module__, fromlist=["_"])
        assert module.__doc__ and f"{kind}:" in module.__doc__, kind
