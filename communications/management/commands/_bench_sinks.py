"""The local SMTP servers bench_dispatch sends to; each counts what it accepted by
Message-ID. (A module of its own: a name starting with "_" is no management command.)"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import Counter

_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


class AiosmtpdSink:
    """An aiosmtpd handler that accepts everything and counts it by Message-ID. It offers
    PIPELINING, as production MTAs (Postfix, Exim) do and aiosmtpd on its own does not
    (aiosmtpd reads pipelined commands one by one from its buffer, so it copes)."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server, session, envelope):
        match = _MESSAGE_ID.search(envelope.content)
        with self.lock:
            self.received[match.group(1).decode() if match else ""] += 1
        return "250 Message accepted for delivery"


class _MinimalSmtp(asyncio.Protocol):
    """Just enough of an SMTP server (RFC 5321) for the benchmark: greets, answers EHLO/HELO,
    MAIL, RCPT, RSET, NOOP and QUIT with 250/221, takes DATA up to the lone dot (commands
    may arrive pipelined) and counts each message by Message-ID, like AiosmtpdSink. No checks:
    what it measures is the sender."""

    def __init__(self, received: Counter, lock: threading.Lock) -> None:
        self.received, self.lock = received, lock
        self.buffer = bytearray()
        self.in_data = False

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(b"220 bench-sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        replies = []
        while True:
            if self.in_data:
                # The content ends with CRLF "." CRLF (just "." CRLF when it is empty).
                if self.buffer.startswith(b".\r\n"):
                    end, content = 3, b""
                else:
                    at = self.buffer.find(b"\r\n.\r\n")
                    if at < 0:
                        break
                    end, content = at + 5, bytes(self.buffer[: at + 2])
                del self.buffer[:end]
                self.in_data = False
                match = _MESSAGE_ID.search(content)
                with self.lock:
                    self.received[match.group(1).decode() if match else ""] += 1
                replies.append(b"250 Message accepted for delivery\r\n")
                continue
            at = self.buffer.find(b"\r\n")
            if at < 0:
                break
            verb = bytes(self.buffer[:4]).upper()
            del self.buffer[: at + 2]
            if verb == b"EHLO":
                replies.append(b"250-bench-sink\r\n250-8BITMIME\r\n250 PIPELINING\r\n")
            elif verb == b"DATA":
                self.in_data = True
                replies.append(b"354 End data with <CR><LF>.<CR><LF>\r\n")
            elif verb == b"QUIT":
                replies.append(b"221 Bye\r\n")
                self.transport.write(b"".join(replies))
                self.transport.close()
                return
            else:
                replies.append(b"250 OK\r\n")
        if replies:
            self.transport.write(b"".join(replies))


class MinimalSink:
    """_MinimalSmtp on 127.0.0.1:port, served by an event loop in a thread of this process
    (as aiosmtpd's Controller does)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(timeout=10)

    async def _serve(self) -> None:
        self.server = await self.loop.create_server(
            lambda: _MinimalSmtp(self.received, self.lock), "127.0.0.1", self.port
        )

    def stop(self) -> None:
        async def close() -> None:
            self.server.close()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
