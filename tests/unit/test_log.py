import io

from ivr import log


def test_given_fields_with_spaces_and_quotes_when_logged_then_one_logfmt_line():
    stream = io.StringIO()
    log.setup("info", stream)
    log.event("call.end", call="1.2", reason='said "hi" there', empty="")
    line = stream.getvalue()
    assert line.count("\n") == 1
    assert 'event=call.end call=1.2 reason="said \\"hi\\" there" empty=""' in line
    assert line.startswith("ts=") and "level=info" in line


def test_given_an_exception_when_logged_as_error_then_its_traceback_stays_on_one_line():
    stream = io.StringIO()
    log.setup("info", stream)
    try:
        raise ValueError("bad\nvalue")
    except ValueError as exc:
        log.error("flow.node_failed", node="x", exc=exc)
    line = stream.getvalue()
    assert line.count("\n") == 1
    assert 'error="ValueError: bad\\nvalue"' in line
    assert 'traceback="Traceback (most recent call last):\\n' in line
    assert "raise ValueError" in line and "level=error" in line
