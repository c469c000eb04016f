"""Broken flow files: each gets one clear line naming file, line, column and what is wrong."""
from __future__ import annotations

import pytest

GOOD_END = "  bye: {hangup: true}\n"


def test_given_bad_yaml_when_loaded_then_the_syntax_error_position_is_reported(flow_dir):
    flow_dir.write("bad.yaml", """
        start: greet
        nodes:
          greet: {say: "hi", next: bye
          bye: {hangup: true}
        """)
    assert flow_dir.problems() == ["flows/bad.yaml:4:6: error: invalid YAML: expected ',' or '}', but got ':'"]


def test_given_a_duplicate_key_when_loaded_then_the_second_key_is_reported(flow_dir):
    flow_dir.write("dup.yaml", """
        start: greet
        nodes:
          greet: {say: "hi", next: bye}
          bye: {hangup: true}
          greet: {say: "again", next: bye}
        """)
    assert flow_dir.problems() == [
        "flows/dup.yaml:5:3: error: duplicate key 'greet' (first defined at line 3, column 3)"]


def test_given_an_unknown_node_kind_when_loaded_then_the_kind_key_is_reported_with_a_suggestion(flow_dir):
    flow_dir.write("kind.yaml", """
        start: greet
        nodes:
          greet: {sayy: "hi", next: bye}
          bye: {hangup: true}
        """)
    assert flow_dir.problems() == [
        "flows/kind.yaml:3:11: error: unknown node kind 'sayy' in node 'greet' (did you mean 'say'?)"]


def test_given_a_target_that_does_not_exist_when_loaded_then_the_target_is_reported(flow_dir):
    flow_dir.write("target.yaml", """
        start: greet
        nodes:
          greet: {say: "hi", next: by}
          bye: {hangup: true}
        """)
    assert flow_dir.problems() == [
        "flows/target.yaml:3:28: error: unknown node 'by' (did you mean 'bye'?)",
        "flows/target.yaml:4:3: warning: node 'bye' is never reached from start node 'greet'"]


def test_given_a_start_node_that_does_not_exist_when_loaded_then_start_is_reported(flow_dir):
    flow_dir.write("start.yaml", """
        start: welcome
        nodes:
          greet: {say: "hi", next: bye}
          bye: {hangup: true}
        """)
    assert flow_dir.problems() == ["flows/start.yaml:1:8: error: start node 'welcome' is not defined"]


def test_given_no_start_key_when_loaded_then_the_missing_key_is_reported(flow_dir):
    flow_dir.write("nostart.yaml", """
        nodes:
          bye: {hangup: true}
        """)
    assert flow_dir.problems() == ["flows/nostart.yaml:1:1: error: missing 'start'"]


def test_given_a_loop_with_no_exit_when_loaded_then_the_loop_is_an_error(flow_dir):
    flow_dir.write("loop.yaml", """
        start: a
        nodes:
          a: {say: "one", next: b}
          b: {play: beep, next: a}
        """)
    assert flow_dir.problems() == [
        "flows/loop.yaml:3:3: error: no way out: nodes 'a', 'b' never reach a hangup, queue, transfer or goto "
        "(the call would loop forever)"]


def test_given_a_value_of_the_wrong_type_when_loaded_then_the_value_is_reported(flow_dir):
    flow_dir.write("types.yaml", """
        start: menu
        nodes:
          menu:
            menu:
              prompt: "Press 1"
              options: {"1": bye}
              timeout: soon
              retries: -1
              fail: bye
          bye: {hangup: true}
        """)
    assert flow_dir.problems() == [
        "flows/types.yaml:7:16: error: timeout: expected a number, got 'soon'",
        "flows/types.yaml:8:16: error: retries: must be at least 0, got -1"]


def test_given_an_unknown_key_in_a_node_when_loaded_then_the_key_is_reported_with_the_allowed_ones(flow_dir):
    flow_dir.write("key.yaml", """
        start: greet
        nodes:
          greet: {say: "hi", nxt: bye}
          bye: {hangup: true}
        """)
    assert flow_dir.problems() == [
        "flows/key.yaml:3:3: error: greet: missing 'next'",
        "flows/key.yaml:3:22: error: greet: unknown key 'nxt' (allowed: next, note, say)"]


def test_given_an_unknown_queue_when_loaded_with_known_queues_then_the_queue_is_reported(flow_dir):
    flow_dir.write("queue.yaml", """
        start: q
        nodes:
          q: {queue: biling, skills: {billing: 2}}
        """)
    assert flow_dir.problems(known_queues={"billing", "support"}) == [
        "flows/queue.yaml:3:14: error: unknown queue 'biling' (the ACD has: billing, support)"]
    assert flow_dir.problems() == []  # without an ACD config, queue names are not checked


def test_given_an_unknown_schedule_when_loaded_then_the_schedule_is_reported(flow_dir):
    flow_dir.write("schedules.yaml", flow_dir.SCHEDULES)
    flow_dir.write("hours.yaml", """
        start: hours
        nodes:
          hours: {schedule: ofice, open: bye, closed: bye}
        """ + GOOD_END)
    assert flow_dir.problems() == ["flows/hours.yaml:3:21: error: unknown schedule 'ofice' (defined: office)"]


def test_given_a_menu_with_no_options_when_loaded_then_the_options_are_reported(flow_dir):
    flow_dir.write("menu.yaml", """
        start: menu
        nodes:
          menu:
            menu:
              prompt: "Press 1"
              options: {}
              fail: bye
        """ + GOOD_END)
    assert flow_dir.problems() == ["flows/menu.yaml:6:16: error: options: a menu needs at least one option"]


def test_given_a_missing_sound_file_when_loaded_then_the_path_is_reported(flow_dir):
    flow_dir.write("sound.yaml", """
        start: jingle
        nodes:
          jingle: {play: sounds/jingle.wav, next: bye}
        """ + GOOD_END)
    problems = flow_dir.problems()
    assert problems == ["flows/sound.yaml:3:18: error: sound file 'sounds/jingle.wav' not found in flows"]
    flow_dir.write("sounds/jingle.wav", "RIFF")
    assert flow_dir.problems() == []


def test_given_a_sound_path_leaving_the_flows_dir_when_loaded_then_it_is_refused(flow_dir):
    flow_dir.write("escape.yaml", """
        start: jingle
        nodes:
          jingle: {play: ../secret.wav, next: bye}
        """ + GOOD_END)
    assert flow_dir.problems() == [
        "flows/escape.yaml:3:18: error: sound file '../secret.wav' must be a path inside the flows directory"]


def test_given_known_sounds_when_a_sound_name_is_unknown_then_it_is_reported(flow_dir):
    flow_dir.write("names.yaml", """
        start: hello
        nodes:
          hello: {play: hello-wrld, next: bye}
        """ + GOOD_END)
    assert flow_dir.problems() == []
    assert flow_dir.problems(known_sounds={"hello-world"}) == [
        "flows/names.yaml:3:17: error: unknown sound 'hello-wrld'"]


def test_given_a_bad_regex_in_gather_when_loaded_then_the_pattern_is_reported(flow_dir):
    flow_dir.write("regex.yaml", """
        start: account
        nodes:
          account:
            gather:
              variable: account
              pattern: '^[0-9{6}$'
              next: bye
              fail: bye
        """ + GOOD_END)
    problems = flow_dir.problems()
    assert len(problems) == 1
    assert problems[0].startswith(
        "flows/regex.yaml:6:16: error: invalid regular expression '^[0-9{6}$': unterminated character set")


def test_given_bad_expression_syntax_when_loaded_then_the_condition_is_reported(flow_dir):
    flow_dir.write("expr.yaml", """
        start: route
        nodes:
          route:
            branch:
              - if: 'caller == "+1555" and'
                then: bye
            else: bye
        """ + GOOD_END)
    assert flow_dir.problems() == [
        "flows/expr.yaml:5:13: error: bad expression: expected a value, a name or '(' but found the end "
        "at position 22"]


def test_given_a_goto_to_an_unknown_flow_when_loaded_then_the_flow_name_is_reported(flow_dir):
    flow_dir.write("jump.yaml", """
        start: away
        nodes:
          away: {goto: after-hour}
        """)
    assert flow_dir.problems() == ["flows/jump.yaml:3:16: error: unknown flow 'after-hour'"]


def test_given_a_goto_to_a_missing_node_of_another_flow_when_loaded_then_the_node_is_reported(flow_dir):
    flow_dir.write("other.yaml", "start: bye\nnodes:\n" + GOOD_END)
    flow_dir.write("jump.yaml", """
        start: away
        nodes:
          away: {goto: other, node: hello}
        """)
    assert flow_dir.problems() == ["flows/jump.yaml:3:16: error: flow 'other' has no node 'hello'"]


def test_given_an_unreachable_node_when_loaded_then_it_is_a_warning_only(flow_dir):
    flow_dir.write("orphan.yaml", """
        start: bye
        nodes:
          orphan: {say: "nobody hears me", next: bye}
        """ + GOOD_END)
    result = flow_dir.load()
    assert not result.has_errors
    assert [str(p).replace(str(flow_dir.root), "flows") for p in result.problems] == [
        "flows/orphan.yaml:3:3: warning: node 'orphan' is never reached from start node 'bye'"]


def test_given_an_unknown_flow_language_when_loaded_then_the_language_is_reported(flow_dir):
    flow_dir.write("lang.yaml", """
        language: xx
        start: bye
        nodes:
        """ + GOOD_END)
    assert flow_dir.problems() == ["flows/lang.yaml:1:11: error: unknown language code 'xx'"]


def test_given_say_text_for_an_unknown_language_when_loaded_then_it_is_reported(flow_dir):
    flow_dir.write("say.yaml", """
        start: hi
        nodes:
          hi: {say: {en: "Hello", qq: "???"}, next: bye}
        """ + GOOD_END)
    assert flow_dir.problems() == ["flows/say.yaml:3:13: error: unknown language code 'qq'"]


def test_given_a_node_with_two_kinds_when_loaded_then_it_is_asked_to_be_split(flow_dir):
    flow_dir.write("two.yaml", """
        start: hi
        nodes:
          hi: {say: "Hello", play: beep, next: bye}
        """ + GOOD_END)
    assert flow_dir.problems() == [
        "flows/two.yaml:3:22: error: node 'hi' has two kinds, 'say' and 'play': split it into two nodes"]


def test_given_a_bad_template_when_loaded_then_the_text_is_reported(flow_dir):
    flow_dir.write("tpl.yaml", """
        start: hi
        nodes:
          hi: {say: "Your balance is {balance", next: bye}
        """ + GOOD_END)
    assert flow_dir.problems() == [
        "flows/tpl.yaml:3:13: error: bad template 'Your balance is {balance': write {name} for a variable, "
        "{{ and }} for literal braces"]


def test_given_a_speech_word_for_a_missing_option_when_loaded_then_it_is_reported(flow_dir):
    flow_dir.write("speech.yaml", """
        start: menu
        nodes:
          menu:
            menu:
              prompt: "Say billing"
              options: {"1": bye}
              speech: {billing: "1", support: "2"}
              fail: bye
        """ + GOOD_END)
    assert flow_dir.problems() == [
        "flows/speech.yaml:7:39: error: speech 'support' points to option '2', which this menu does not have"]


def test_given_two_flows_with_the_same_name_when_loaded_then_the_second_is_reported(flow_dir):
    flow_dir.write("a.yaml", "name: main\nstart: bye\nnodes:\n" + GOOD_END)
    flow_dir.write("b.yaml", "name: main\nstart: bye\nnodes:\n" + GOOD_END)
    assert flow_dir.problems() == ["flows/b.yaml:1:7: error: flow 'main' is already defined in flows/a.yaml"]


def test_given_a_bad_schedule_when_loaded_then_the_schedule_file_is_reported(flow_dir):
    flow_dir.write("schedules.yaml", """
        office:
          timezone: Mars/Olympus
          hours:
            mon-fri: ["18:00-09:00"]
            sun: "nine to five"
        """)
    assert flow_dir.problems() == [
        "flows/schedules.yaml:5:10: error: sun: expected a time range like \"08:00-18:00\" or a list of them, "
        "got 'nine to five'"]
    flow_dir.write("schedules.yaml", """
        office:
          timezone: Mars/Olympus
          hours:
            mon-fri: ["18:00-09:00"]
        """)
    assert flow_dir.problems() == [
        "flows/schedules.yaml:2:13: error: unknown time zone 'Mars/Olympus'",
        "flows/schedules.yaml:4:15: error: time range '18:00-09:00' ends before it starts "
        "(split ranges that cross midnight)"]


def test_given_a_missing_path_when_loaded_then_it_is_reported(tmp_path):
    from ivr.flows.loader import load_flows

    result = load_flows(tmp_path / "nope")
    assert [p.code for p in result.problems] == ["flow.not-found"]


@pytest.mark.parametrize("text, message", [
    ("- just a list\n", "a flow file must be a mapping with 'start' and 'nodes'"),
    ("start: a\nnodes: {}\n", "nodes: must not be empty"),
    ("start: a\nnodes:\n  a: hello\n", "a: expected a mapping, got 'hello'"),
])
def test_given_a_file_of_the_wrong_shape_when_loaded_then_one_clear_error(flow_dir, text, message):
    flow_dir.write("shape.yaml", text)
    problems = flow_dir.problems()
    assert len(problems) == 1 and problems[0].endswith(f"error: {message}"), problems


def test_given_problems_then_each_has_a_stable_code(flow_dir):
    flow_dir.write("codes.yaml", """
        start: a
        nodes:
          a: {say: "x", next: nowhere}
          b: {goto: missing}
        """)
    codes = sorted(p.code for p in flow_dir.load().problems)
    assert codes == ["flow.unknown-flow", "flow.unknown-target", "flow.unreachable"]


def test_given_an_empty_node_when_loaded_then_it_is_asked_for_a_kind(flow_dir):
    flow_dir.write("empty.yaml", "start: a\nnodes:\n  a: {}\n")
    problems = flow_dir.problems()
    assert problems == ["flows/empty.yaml:3:3: error: node 'a' is empty: give it a kind (branch, gather, goto, "
                        "hangup, http, language, menu, play, queue, record, say, schedule, set, speech, switch, transfer)"]
