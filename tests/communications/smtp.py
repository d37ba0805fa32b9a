"""A real SMTP server for tests and the benchmark: aiosmtpd on a free 127.0.0.1 port,
counting what it accepted by Message-ID, with switches to refuse or slow down messages."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
from collections import Counter, deque
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


def free_port() -> int:
    """A TCP port nothing listens on now (on 127.0.0.1)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class CountingHandler:
    """Accepts every message (unless told otherwise) and counts them by Message-ID."""

    def __init__(
        self, *, keep_messages: bool = True, delay: float = 0.0, pipelining: bool = False
    ) -> None:
        self.keep_messages = keep_messages
        self.delay = delay
        self.pipelining = pipelining  # offer RFC 2920 PIPELINING (aiosmtpd does not)
        self.received: Counter[str] = Counter()
        self.messages: list[bytes] = []
        self.refused_recipients: dict[str, str] = {}  # address -> reply, e.g. "550 5.1.1 …"
        self.data_replies: deque[str] = deque()  # replies to the next DATA commands
        self._lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            # aiosmtpd reads commands one by one from its buffer: it copes with pipelining.
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refused_recipients.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            reply = self.data_replies.popleft() if self.data_replies else None
        if reply:
            return reply
        match = _MESSAGE_ID.search(envelope.content)
        message_id = match.group(1).decode() if match else ""
        with self._lock:
            self.received[message_id] += 1
            if self.keep_messages:
                self.messages.append(envelope.content)
        return "250 Message accepted for delivery"

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.received.values())

    def duplicates(self) -> dict[str, int]:
        with self._lock:
            return {message_id: n for message_id, n in self.received.items() if n > 1}

    def parsed(self) -> list[EmailMessage]:
        with self._lock:
            raw = list(self.messages)
        return [message_from_bytes(content, policy=policy.default) for content in raw]


class SmtpServer:
    """An aiosmtpd server in a thread of this process."""

    def __init__(self, handler: CountingHandler | None = None) -> None:
        self.handler = handler or CountingHandler()
        self.host = "127.0.0.1"
        self.port = free_port()
        self._controller = Controller(
            self.handler, hostname=self.host, port=self.port, data_size_limit=10 * 2**20
        )

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def email_settings(self) -> dict:
        """Django settings that send through this server."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 10,
        }


@contextlib.contextmanager
def smtp_server(handler: CountingHandler | None = None) -> Iterator[SmtpServer]:
    server = SmtpServer(handler).start()
    try:
        yield server
    finally:
        server.stop()
