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
