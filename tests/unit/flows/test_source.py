"""Reading YAML with positions: YAML 1.2 scalars, duplicate keys, aliases."""
from __future__ import annotations

from ivr.flows.source import read_yaml
from ivr.testing.hostile import BILLION_LAUGHS


def read(tmp_path, text):
    path = tmp_path / "x.yaml"
    path.write_text(text)
    return read_yaml(path, "x.yaml")


def test_given_yaml_1_1_booleans_when_read_then_they_stay_text(tmp_path):
    doc, problems = read(tmp_path, "a: no\nb: yes\nc: on\nd: true\ne: false\n")
    assert problems == []
    assert doc.data == {"a": "no", "b": "yes", "c": "on", "d": True, "e": False}


def test_given_numbers_dates_and_keys_when_read_then_json_like_values(tmp_path):
    doc, _ = read(tmp_path, "1: x\nn: 010\nf: 2.5\nd: 2026-12-25\nt: 10:30\ns: '7'\nnull_: ~\n")
    assert doc.data == {"1": "x", "n": 10, "f": 2.5, "d": "2026-12-25", "t": "10:30", "s": "7", "null_": None}


def test_given_values_when_read_then_positions_of_keys_and_values_are_kept(tmp_path):
    doc, _ = read(tmp_path, "nodes:\n  greet:\n    say: hi\n    next: [a, b]\n")
    assert doc.at(("nodes", "greet", "say")) == (3, 10)
    assert doc.key_at(("nodes", "greet", "say")) == (3, 5)
    assert doc.at(("nodes", "greet", "next", 1)) == (4, 15)
    assert doc.at(("nodes", "greet", "missing")) == doc.at(("nodes", "greet"))


def test_given_a_duplicate_nested_key_when_read_then_an_error_at_the_second_one(tmp_path):
    doc, problems = read(tmp_path, "a:\n  b: 1\n  c: 2\n  b: 3\n")
    assert [str(p) for p in problems] == ["x.yaml:4:3: error: duplicate key 'b' (first defined at line 2, column 3)"]
    assert doc.data is None


def test_given_a_recursive_alias_when_read_then_a_clean_error(tmp_path):
    _, problems = read(tmp_path, "a: &x [*x]\n")
    assert len(problems) == 1 and problems[0].code == "flow.yaml"


def test_given_an_alias_when_read_then_its_value_is_copied(tmp_path):
    doc, problems = read(tmp_path, "a: &p {say: hi}\nb: *p\n")
    assert problems == [] and doc.data["b"] == {"say": "hi"}


def test_given_a_file_that_is_not_utf8_when_read_then_a_clean_error(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_bytes(b"a: \xff\xfe\n")
    _, problems = read_yaml(path, "x.yaml")
    assert problems[0].code == "flow.unreadable"


def test_given_an_alias_bomb_when_read_then_it_is_refused_at_a_line_before_it_expands(tmp_path):
    doc, problems = read(tmp_path, BILLION_LAUGHS)
    assert [p.code for p in problems] == ["flow.too-many-values"]
    assert 1 <= problems[0].line <= 9 and "alias bomb" in problems[0].message
    assert doc.data is None and len(doc.values) <= 100_001


def test_given_a_file_over_1_mb_when_read_then_it_is_refused_without_parsing(tmp_path):
    _, problems = read(tmp_path, "a: " + "x" * 1_000_001 + "\n")
    assert [str(p) for p in problems] == ["x.yaml:1:1: error: the file is larger than 1 MB"]


def test_given_deep_flow_style_nesting_when_read_then_it_is_refused_at_its_line_before_any_recursion(tmp_path):
    _, problems = read(tmp_path, "ok: 1\nx: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert [(p.line, p.code) for p in problems] == [(2, "flow.too-deep")]
    assert "nested more than 50 levels" in problems[0].message


def test_given_deep_block_nesting_when_read_then_it_is_refused_at_the_first_level_too_deep(tmp_path):
    text = "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "v: 1\n"
    _, problems = read(tmp_path, text)
    assert [(p.line, p.code) for p in problems] == [(51, "flow.too-deep")]


def test_given_nesting_at_the_limit_when_read_then_it_loads(tmp_path):
    doc, problems = read(tmp_path, "x: " + "[" * 49 + "1" + "]" * 49 + "\n")
    assert problems == [] and doc.data["x"] is not None
