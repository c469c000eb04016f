"""Every node kind, run through the ScriptedPort."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ivr.flows.port import FlowPosition, HttpResult
from ivr.live.call_port import TRANSFER_GRACE_S, TransferReturns

MENU = """
start: menu
nodes:
  menu:
    menu:
      prompt: {say: "For billing press 1"}
      options: {"1": billing, "2": support}
      timeout: 5
      retries: 2
      invalid: {say: "Invalid choice"}
      no_input: {say: "No choice"}
      fail: bye
  billing: {queue: billing, skills: {billing: 2}}
  support: {transfer: agent1}
  bye: {hangup: true}
"""


async def test_given_say_and_play_when_run_then_the_caller_hears_text_and_sound(flow_dir, heard):
    outcome, port = await flow_dir.run("""
        start: hi
        nodes:
          hi: {say: "Hello {caller}", next: sound}
          sound: {play: hello-world, next: bye}
          bye: {hangup: true}
        """, caller="+15550001")
    assert heard(port) == ["Hello +15550001", "[hello-world]"]
    assert outcome.kind == "hangup" and port.hung_up
    assert outcome.visited == ["hi", "sound", "bye"]


async def test_given_a_menu_when_the_caller_presses_an_option_then_the_call_goes_there(flow_dir):
    outcome, _ = await flow_dir.run(MENU, ["1"])
    assert outcome.kind == "queued"
    assert outcome.queue.queue == "billing" and outcome.queue.skills == {"billing": 2}
    assert outcome.variables["digits"] == "1"


async def test_given_a_menu_when_the_caller_stays_silent_then_no_input_replays_and_fail_after_retries(flow_dir, heard):
    outcome, port = await flow_dir.run(MENU, ["timeout", "timeout", "timeout"])
    assert outcome.kind == "hangup"
    assert heard(port) == ["For billing press 1", "No choice"] * 3
    assert outcome.visited == ["menu", "bye"]


async def test_given_a_menu_when_the_caller_presses_wrong_keys_then_invalid_replays_and_fail(flow_dir, heard):
    outcome, port = await flow_dir.run(MENU, ["7", "8", "9"])
    assert outcome.visited == ["menu", "bye"]
    assert heard(port) == ["For billing press 1", "Invalid choice"] * 3


async def test_given_a_menu_when_the_second_try_is_right_then_the_option_is_taken(flow_dir, heard):
    outcome, port = await flow_dir.run(MENU, ["9", "2"])
    assert outcome.kind == "transferred" and outcome.transfer_to == "agent1"
    assert heard(port) == ["For billing press 1", "Invalid choice", "For billing press 1"]


async def test_given_a_menu_when_a_key_is_pressed_during_the_prompt_then_it_barges_in(flow_dir):
    outcome, port = await flow_dir.run(MENU, ["barge:2"])
    assert outcome.transfer_to == "agent1"
    assert any(step.text == "2 (during the prompt)" for step in outcome.trace.steps)


async def test_given_a_menu_when_a_key_is_pressed_during_the_invalid_prompt_then_it_answers_the_menu(flow_dir, heard):
    outcome, port = await flow_dir.run(MENU, ["9", "barge:1"])
    assert outcome.kind == "queued"
    assert heard(port) == ["For billing press 1", "Invalid choice"]


GATHER = """
start: account
nodes:
  account:
    gather:
      variable: account.number
      prompt: "Enter your account number then hash"
      min_digits: 4
      max_digits: 8
      pattern: '^[1-9][0-9]*$'
      retries: 1
      invalid: "Not valid"
      no_input: "Nothing heard"
      next: done
      fail: bye
  done: {say: "Account {account.number}", next: bye}
  bye: {hangup: true}
"""


async def test_given_gather_when_digits_end_with_hash_then_they_are_stored_without_it(flow_dir, heard):
    outcome, port = await flow_dir.run(GATHER, ["123456#"])
    assert outcome.variables["account"] == {"number": "123456"}
    assert outcome.variables["digits"] == "123456"
    assert heard(port)[-1] == "Account 123456"


async def test_given_gather_when_max_digits_are_reached_then_it_stops_without_hash(flow_dir):
    outcome, port = await flow_dir.run(GATHER, ["1234567899"])
    assert outcome.variables["account"] == {"number": "12345678"}
    assert [event.key for event in port.script] == ["9", "9"]


async def test_given_gather_when_the_caller_pauses_then_the_inter_digit_timeout_ends_the_entry(flow_dir):
    outcome, _ = await flow_dir.run(GATHER, ["1234", "timeout"])
    assert outcome.variables["account"] == {"number": "1234"}


async def test_given_gather_when_entries_are_invalid_then_invalid_prompt_and_fail(flow_dir, heard):
    outcome, port = await flow_dir.run(GATHER, ["12#", "0123#"])
    assert outcome.visited == ["account", "bye"]
    assert heard(port) == ["Enter your account number then hash", "Not valid"] * 2
    assert "account" not in outcome.variables


async def test_given_gather_when_the_first_key_barges_in_then_it_is_part_of_the_entry(flow_dir):
    outcome, _ = await flow_dir.run(GATHER, ["barge:5678#"])
    assert outcome.variables["account"] == {"number": "5678"}


async def test_given_gather_when_nothing_is_pressed_then_no_input_prompt(flow_dir, heard):
    outcome, port = await flow_dir.run(GATHER, [])
    assert heard(port) == ["Enter your account number then hash", "Nothing heard"] * 2
    assert outcome.kind == "hangup"


SCHEDULE = """
start: hours
nodes:
  hours: {schedule: office, open: open, closed: closed, holiday: holiday}
  open: {transfer: agent1}
  closed: {transfer: voicemail}
  holiday: {transfer: holiday-line}
"""


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Paris"))


async def test_given_a_schedule_when_called_in_office_hours_then_open(flow_dir):
    flow_dir.write("schedules.yaml", flow_dir.SCHEDULES)
    outcome, _ = await flow_dir.run(SCHEDULE, at=paris("2026-11-23T09:00"))  # a Monday
    assert outcome.transfer_to == "agent1"


async def test_given_a_schedule_when_called_at_closing_time_then_closed(flow_dir):
    flow_dir.write("schedules.yaml", flow_dir.SCHEDULES)
    outcome, _ = await flow_dir.run(SCHEDULE, at=paris("2026-11-23T17:00"))
    assert outcome.transfer_to == "voicemail"


async def test_given_a_schedule_when_called_on_a_weekend_then_closed(flow_dir):
    flow_dir.write("schedules.yaml", flow_dir.SCHEDULES)
    outcome, _ = await flow_dir.run(SCHEDULE, at=paris("2026-11-22T10:00"))  # a Sunday
    assert outcome.transfer_to == "voicemail"


async def test_given_a_schedule_when_called_on_a_holiday_then_holiday(flow_dir):
    flow_dir.write("schedules.yaml", flow_dir.SCHEDULES)
    outcome, _ = await flow_dir.run(SCHEDULE, at=paris("2026-12-25T10:00"))
    assert outcome.transfer_to == "holiday-line"


async def test_given_a_schedule_when_the_time_is_in_another_zone_then_it_is_converted(flow_dir):
    flow_dir.write("schedules.yaml", flow_dir.SCHEDULES)
    # 07:30 in New York is 13:30 in Paris: open.
    outcome, _ = await flow_dir.run(SCHEDULE, at=datetime(2026, 11, 23, 7, 30, tzinfo=ZoneInfo("America/New_York")))
    assert outcome.transfer_to == "agent1"
    # 16:30 UTC is 17:30 in Paris (winter time): closed.
    outcome, _ = await flow_dir.run(SCHEDULE, at=datetime(2026, 11, 23, 16, 30, tzinfo=ZoneInfo("UTC")))
    assert outcome.transfer_to == "voicemail"


async def test_given_set_when_run_then_literals_templates_and_expressions_are_assigned(flow_dir):
    outcome, port = await flow_dir.run("""
        start: remember
        variables: {tries: 1}
        nodes:
          remember:
            set:
              tries: "=tries + 1"
              greeting: "Hello {caller}"
              vip: '=startswith(caller, "+1555")'
              account.tier: gold
              language: fr
            next: bye
          bye: {hangup: true}
        """, caller="+15551234")
    assert outcome.variables["tries"] == 2
    assert outcome.variables["greeting"] == "Hello +15551234"
    assert outcome.variables["vip"] is True
    assert outcome.variables["account"] == {"tier": "gold"}
    assert port.language == "fr"


BRANCH = """
start: route
nodes:
  route:
    branch:
      - if: 'caller in ["+1555000", "+1555001"]'
        then: vip
      - if: {all: ['time.weekday == "sat"', "time.hour >= 12"]}
        then: weekend
      - if: {any: [{not: "true"}, 'language == "fr"']}
        then: french
    else: other
  vip: {transfer: vip-line}
  weekend: {transfer: weekend-line}
  french: {transfer: french-line}
  other: {transfer: main-line}
"""


async def test_given_branch_when_conditions_hold_then_the_first_matching_case_wins(flow_dir):
    saturday = datetime(2026, 11, 28, 13, 0)
    outcome, _ = await flow_dir.run(BRANCH, caller="+1555001", at=saturday)
    assert outcome.transfer_to == "vip-line"
    outcome, _ = await flow_dir.run(BRANCH, caller="+1999", at=saturday)
    assert outcome.transfer_to == "weekend-line"
    outcome, _ = await flow_dir.run(BRANCH, caller="+1999", at=datetime(2026, 11, 28, 11, 0), language="fr")
    assert outcome.transfer_to == "french-line"
    outcome, _ = await flow_dir.run(BRANCH, caller="+1999", at=datetime(2026, 11, 28, 11, 0), language="en")
    assert outcome.transfer_to == "main-line"


async def test_given_switch_when_run_then_the_case_named_by_the_value_is_taken(flow_dir):
    text = """
        start: by_language
        nodes:
          by_language:
            switch: language
            cases: {en: english, fr: french}
            default: english
          english: {transfer: en-line}
          french: {transfer: fr-line}
        """
    outcome, _ = await flow_dir.run(text, language="fr")
    assert outcome.transfer_to == "fr-line"
    outcome, _ = await flow_dir.run(text, language="de")
    assert outcome.transfer_to == "en-line"


HTTP = """
start: lookup
nodes:
  lookup:
    http:
      url: "https://crm.example/accounts/{account}"
      params: {lang: "{language}"}
      timeout: 2
      save: {customer.name: name, balance: account.balance}
      next: found
      fail: failed
  found: {say: "Hello {customer.name}, you owe {balance}", next: bye}
  failed: {say: "Lookup failed", next: bye}
  bye: {hangup: true}
"""


async def test_given_http_when_the_service_answers_2xx_then_paths_are_saved_and_next(flow_dir, heard):
    outcome, port = await flow_dir.run(HTTP, variables={"account": "12/../34"},
                                       http=[HttpResult(200, {"name": "Ada", "account": {"balance": 7}})])
    assert heard(port) == ["Hello Ada, you owe 7"]
    request = port.http_requests[0]
    assert request.url == "https://crm.example/accounts/12%2F..%2F34"  # caller data cannot change the path
    assert request.params == {"lang": "en"} and request.timeout_s == 2 and request.method == "GET"


async def test_given_http_when_the_service_does_not_answer_then_fail(flow_dir, heard):
    outcome, port = await flow_dir.run(HTTP, http=[HttpResult(0)])
    assert heard(port) == ["Lookup failed"]


async def test_given_http_when_the_service_answers_500_then_fail(flow_dir, heard):
    outcome, port = await flow_dir.run(HTTP, http=[HttpResult(500, {"error": "down"})])
    assert heard(port) == ["Lookup failed"]
    assert "status 500" in "\n".join(outcome.trace.lines())


async def test_given_http_when_a_saved_path_is_missing_then_fail_and_nothing_is_saved(flow_dir, heard):
    outcome, port = await flow_dir.run(HTTP, http=[HttpResult(200, {"name": "Ada"})])
    assert heard(port) == ["Lookup failed"]
    assert "customer" not in outcome.variables


async def test_given_queue_with_computed_settings_when_run_then_the_request_carries_them(flow_dir):
    outcome, port = await flow_dir.run("""
        start: q
        variables: {wanted: support, level: 3}
        nodes:
          q:
            queue: "{wanted}"
            skills: {support: "=level", french: 1}
            language: fr
            priority: "=level * 2"
            customer: "acct-{caller}"
        """, caller="555")
    request = port.queued[0]
    assert (request.queue, request.skills, request.language, request.priority, request.customer) == \
        ("support", {"support": 3, "french": 1}, "fr", 6, "acct-555")
    assert request.data["wanted"] == "support"
    assert outcome.kind == "queued" and outcome.queue_result == "answered"


async def test_given_queue_targets_when_the_queue_overflows_or_is_abandoned_then_they_are_taken(flow_dir):
    text = """
        start: q
        nodes:
          q: {queue: sales, overflow: full, abandoned: left}
          full: {transfer: overflow-line}
          left: {hangup: true}
        """
    outcome, _ = await flow_dir.run(text, queue_result="overflow")
    assert outcome.transfer_to == "overflow-line"
    outcome, _ = await flow_dir.run(text, queue_result="abandoned")
    assert outcome.kind == "hangup"


async def test_given_queue_without_targets_when_it_overflows_then_the_flow_ends_queued(flow_dir):
    outcome, _ = await flow_dir.run("start: q\nnodes:\n  q: {queue: sales}\n", queue_result="overflow")
    assert outcome.kind == "queued" and outcome.queue_result == "overflow"


async def test_given_a_skill_level_out_of_range_at_run_time_then_an_error_outcome(flow_dir):
    outcome, _ = await flow_dir.run("start: q\nvariables: {level: 9}\nnodes:\n  q: {queue: s, skills: {x: '=level'}}\n")
    assert outcome.kind == "error" and outcome.error_code == "flow.bad-skill-level"


async def test_given_transfer_to_a_templated_destination_when_it_is_unsafe_then_refused(flow_dir):
    text = "start: t\nnodes:\n  t: {transfer: '{target}'}\n"
    outcome, port = await flow_dir.run(text, variables={"target": "PJSIP/evil&Local/1"})
    assert outcome.kind == "error" and outcome.error_code == "flow.bad-destination"
    assert port.transfer_request is None
    outcome, port = await flow_dir.run(text, variables={"target": "+15551234"})
    assert port.transfer_request.target == "+15551234"


async def test_given_transfer_with_failed_when_run_then_it_says_where_an_unanswered_call_comes_back(flow_dir):
    outcome, port = await flow_dir.run("""
        start: ask
        nodes:
          ask: {set: {reason: billing}, next: desk}
          desk: {transfer: agent2, timeout: 12, failed: sorry}
          sorry: {say: "Nobody is free", next: bye}
          bye: {hangup: true}
        """, language="fr")
    assert outcome.kind == "transferred" and outcome.transfer_to == "agent2"
    request = port.transfer_request
    assert (request.target, request.timeout_s) == ("agent2", 12.0)
    back = request.back
    assert (back.flow, back.node, back.language, back.variables["reason"]) == ("test", "sorry", "fr", "billing")


async def test_given_transfer_without_failed_when_run_then_nothing_comes_back_and_it_rings_30_s(flow_dir):
    _, port = await flow_dir.run("start: t\nnodes:\n  t: {transfer: agent1}\n")
    assert (port.transfer_request.timeout_s, port.transfer_request.back) == (30.0, None)


def test_given_transfer_returns_when_the_ring_time_and_grace_pass_then_the_entry_is_dropped():
    now = [0.0]
    returns = TransferReturns(clock=lambda: now[0])
    back = FlowPosition("f", "n", {}, "en")
    returns.expect("c1", back, ring_s=20)
    assert returns.take("c1") is back and returns.take("c1") is None
    returns.expect("c2", back, ring_s=20)
    now[0] = 20 + TRANSFER_GRACE_S + 1
    returns.expect("c3", back, ring_s=20)  # each new transfer sweeps out the stale ones
    assert returns.take("c2") is None and returns.take("c3") is back


async def test_given_record_when_run_then_the_location_is_saved_and_the_flow_goes_on(flow_dir, heard):
    outcome, port = await flow_dir.run("""
        start: message
        nodes:
          message:
            record: {prompt: "Speak after the tone", max_s: 30, name: "vm-{caller}", variable: vm, next: bye}
          bye: {hangup: true}
        """, caller="+1 555/../x")
    assert port.recordings == ["recordings/vm-_1_555____x.wav"]
    assert outcome.variables["vm"] == "recordings/vm-_1_555____x.wav"
    assert outcome.recordings == port.recordings and outcome.kind == "hangup"
    assert heard(port) == ["Speak after the tone"]


async def test_given_goto_when_run_then_the_other_flow_continues_at_its_start_or_node(flow_dir):
    flow_dir.write("other.yaml", """
        start: first
        variables: {from_other: yes-default}
        nodes:
          first: {transfer: first-line}
          second: {transfer: second-line}
        """)
    outcome, _ = await flow_dir.run("start: jump\nnodes:\n  jump: {goto: other}\n")
    assert outcome.transfer_to == "first-line"
    assert outcome.visited == ["jump", "other:first"]
    assert outcome.variables["from_other"] == "yes-default"
    outcome, _ = await flow_dir.run("start: jump\nnodes:\n  jump: {goto: other, node: second}\n")
    assert outcome.transfer_to == "second-line"


async def test_given_a_language_node_when_run_then_the_port_language_changes(flow_dir, heard):
    outcome, port = await flow_dir.run("""
        language: en
        start: french
        nodes:
          french: {language: fr, next: hi}
          hi: {say: {en: "Hello", fr: "Bonjour"}, next: bye}
          bye: {hangup: true}
        """)
    assert port.language == "fr"
    assert heard(port) == ["Bonjour"]
    assert port.heard[0][1] == "fr"


async def test_given_a_language_from_a_variable_when_it_is_unknown_then_an_error_outcome(flow_dir):
    outcome, _ = await flow_dir.run("start: l\nnodes:\n  l: {language: '{lang}', next: b}\n  b: {hangup: true}\n",
                                    variables={"lang": "klingon"})
    assert outcome.kind == "error" and outcome.error_code == "flow.unknown-language"
