"""One message to one recipient on an open smtplib connection, with RFC 2920 PIPELINING
when the server offers it: MAIL, RCPT and DATA go out in one write and their three replies
are read back, then the content goes and its final reply is read. That is two round trips a message
instead of smtplib's four (smtplib does not pipeline), with smtplib's own outcomes: the
same exceptions for the same replies, the connection closed on 421 and reset (RSET) after
any other refusal. A server without PIPELINING gets smtplib's sendmail.
"""

from __future__ import annotations

import contextlib
import functools
import re
import smtplib

from communications.dispatch.mime import is_plain_address

_LEADING_DOT = re.compile(rb"(?m)^\.")


def sendmail(smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """smtplib's smtp.sendmail(sender, [recipient], data), pipelined when it can be."""
    smtp.ehlo_or_helo_if_needed()
    if not (smtp.does_esmtp and smtp.has_extn("pipelining")):
        smtp.sendmail(sender, [recipient], data)
        return
    size = f" size={len(data)}" if smtp.has_extn("size") else ""
    smtp.send(
        f"mail FROM:{_quoted_sender(sender)}{size}\r\nrcpt TO:{_quoted(recipient)}\r\ndata\r\n"
    )
    # All three replies are read before acting on a refusal, so that none is left over to
    # answer a later command; a 421 ends the session at once (the server is closing it).
    mail_code, mail_reply = smtp.getreply()
    if mail_code == 421:
        smtp.close()
        raise smtplib.SMTPSenderRefused(mail_code, mail_reply, sender)
    rcpt_code, rcpt_reply = smtp.getreply()
    if rcpt_code == 421:
        smtp.close()
        raise smtplib.SMTPRecipientsRefused({recipient: (rcpt_code, rcpt_reply)})
    data_code, data_reply = smtp.getreply()
    if data_code == 421:
        smtp.close()
        raise smtplib.SMTPDataError(data_code, data_reply)
    if mail_code != 250:
        _reset(smtp, data_code)
        raise smtplib.SMTPSenderRefused(mail_code, mail_reply, sender)
    if rcpt_code not in (250, 251):
        _reset(smtp, data_code)
        raise smtplib.SMTPRecipientsRefused({recipient: (rcpt_code, rcpt_reply)})
    if data_code != 354:
        _reset(smtp, data_code)
        raise smtplib.SMTPDataError(data_code, data_reply)
    content = _LEADING_DOT.sub(b"..", data)  # smtplib's dot-stuffing
    if not content.endswith(b"\r\n"):
        content += b"\r\n"
    smtp.send(content + b".\r\n")
    code, reply = smtp.getreply()
    if code != 250:
        if code == 421:
            smtp.close()
        else:
            _reset(smtp, None)
        raise smtplib.SMTPDataError(code, reply)


def _reset(smtp: smtplib.SMTP, data_code: int | None) -> None:
    """After a refusal, as smtplib does: RSET, ignoring a server that is gone."""
    if data_code == 354:
        # DATA was accepted although MAIL or RCPT was not (RFC 2920 3.1): end it empty.
        smtp.send(b".\r\n")
        smtp.getreply()
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        smtp.rset()


def _quoted(address: str) -> str:
    return f"<{address}>" if is_plain_address(address) else smtplib.quoteaddr(address)


@functools.lru_cache(maxsize=8)
def _quoted_sender(sender: str) -> str:
    return smtplib.quoteaddr(sender)
