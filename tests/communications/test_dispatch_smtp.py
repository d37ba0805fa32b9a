"""communications/dispatch/smtp.py: pipelined sendmail with smtplib's outcomes, against a
scripted server (the refusals aiosmtpd cannot be made to give)."""

import smtplib

import pytest

from communications.dispatch.smtp import sendmail

DATA = b"Subject: hi\r\n\r\n.leading dot\r\nbody"


class ScriptedSMTP(smtplib.SMTP):
    """An smtplib session that is never connected: it records what is sent and answers
    with the scripted replies, in order."""

    def __init__(self, replies, *, features=("pipelining", "size")) -> None:
        super().__init__()
        self.ehlo_resp = b"scripted"
        self.does_esmtp = True
        self.esmtp_features = dict.fromkeys(features, "")
        self.replies = list(replies)
        self.sent: list[bytes] = []
        self.events: list[str] = []

    def send(self, s):
        self.sent.append(s.encode("ascii") if isinstance(s, str) else s)

    def getreply(self):
        if not self.replies:
            raise AssertionError("read a reply the server never sent")
        return self.replies.pop(0)

    def rset(self):
        self.events.append("rset")
        return 250, b"OK"

    def close(self):
        self.events.append("close")


OK, GO = (250, b"OK"), (354, b"go ahead")


def test_mail_rcpt_and_data_go_out_in_one_write_then_the_content():
    # given
    smtp = ScriptedSMTP([OK, OK, GO, (250, b"queued")])
    # when
    sendmail(smtp, "prm@example.com", "a@example.com", DATA)
    # then
    assert smtp.sent == [
        f"mail FROM:<prm@example.com> size={len(DATA)}\r\n".encode()
        + b"rcpt TO:<a@example.com>\r\ndata\r\n",
        b"Subject: hi\r\n\r\n..leading dot\r\nbody\r\n.\r\n",
    ]
    assert not smtp.replies and not smtp.events


def test_without_pipelining_it_is_smtplibs_sendmail(monkeypatch):
    # given
    smtp = ScriptedSMTP([], features=("size",))
    calls = []
    monkeypatch.setattr(smtplib.SMTP, "sendmail", lambda self, *args: calls.append(args))
    # when
    sendmail(smtp, "prm@example.com", "a@example.com", DATA)
    # then
    assert calls == [("prm@example.com", ["a@example.com"], DATA)] and not smtp.sent


@pytest.mark.parametrize(
    ("replies", "error", "code", "events"),
    [
        # a refused sender: the other two replies are read, then RSET
        ([(550, b"no"), (503, b"seq"), (503, b"seq")], smtplib.SMTPSenderRefused, 550, ["rset"]),
        ([OK, (550, b"no user"), (554, b"no rcpt")], smtplib.SMTPRecipientsRefused, 550, ["rset"]),
        ([OK, OK, (451, b"later")], smtplib.SMTPDataError, 451, ["rset"]),
        ([OK, OK, GO, (552, b"too big")], smtplib.SMTPDataError, 552, ["rset"]),
        # 421: the server is closing the session; nothing more is read
        ([(421, b"bye")], smtplib.SMTPSenderRefused, 421, ["close"]),
        ([OK, (421, b"bye")], smtplib.SMTPRecipientsRefused, 421, ["close"]),
        ([OK, OK, (421, b"bye")], smtplib.SMTPDataError, 421, ["close"]),
        ([OK, OK, GO, (421, b"bye")], smtplib.SMTPDataError, 421, ["close"]),
    ],
)
def test_refusals_raise_what_smtplib_raises_and_leave_the_session_as_it_does(
    replies, error, code, events
):
    # given
    smtp = ScriptedSMTP(replies)
    # when
    with pytest.raises(error) as raised:
        sendmail(smtp, "prm@example.com", "a@example.com", DATA)
    # then
    assert smtp.events == events and not smtp.replies
    if error is smtplib.SMTPRecipientsRefused:
        assert raised.value.recipients == {"a@example.com": replies[1]}
    else:
        assert raised.value.smtp_code == code


def test_data_accepted_after_a_refused_recipient_is_ended_empty_before_the_reset():
    # given: a server that says 354 although it refused the only recipient
    smtp = ScriptedSMTP([OK, (550, b"no user"), GO, (554, b"no valid recipients")])
    # when
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        sendmail(smtp, "prm@example.com", "a@example.com", DATA)
    # then: no content was sent, only the lone dot
    assert smtp.sent[1:] == [b".\r\n"] and smtp.events == ["rset"] and not smtp.replies
