"""One write per answer: uvicorn's HTTP/1.1 protocol on a transport that joins writes.

uvicorn writes an answer's head and body separately; on a connection with
``TCP_NODELAY`` that is two packets and two wake-ups of the client.
:func:`one_write_protocol` gives uvicorn's protocol class on a
:class:`OneWriteTransport`, which sends the writes of one event-loop turn
together.
"""
from __future__ import annotations


#: Writes at least this large go out as they come (after what waits), not joined.
JOINED_WRITE_BYTES = 64 * 1024


class OneWriteTransport:
    """A connection's transport whose writes within one turn of the event loop go
    out as one: uvicorn writes an answer's head and its body separately, and on a
    connection with ``TCP_NODELAY`` that is two packets (two sends, and two wake-ups
    of the client, which reads the body after the head).  The writes are joined and
    sent at the end of the turn (``call_soon``), before a close; a large write is
    not joined (it is a packet or more of its own anyway)."""

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport, loop):
        self._transport, self._loop, self._pending = transport, loop, None

    def write(self, data) -> None:
        """Send *data* at the end of this loop turn, joined with the turn's other writes."""
        if len(data) >= JOINED_WRITE_BYTES:  # large: joining would only copy it
            self._flush()
            self._transport.write(data)
        elif self._pending is None:
            self._pending = [data]
            self._loop.call_soon(self._flush)
        else:
            self._pending.append(data)

    def writelines(self, lines) -> None:
        """Each of *lines* as :meth:`write`."""
        for data in lines:
            self.write(data)

    def _flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def get_write_buffer_size(self) -> int:
        """The bytes not yet sent, joined writes included (uvicorn's flow control reads it)."""
        waiting = sum(map(len, self._pending)) if self._pending else 0
        return self._transport.get_write_buffer_size() + waiting

    def close(self) -> None:
        """Send what waits, then close."""
        self._flush()
        self._transport.close()

    def write_eof(self) -> None:
        """Send what waits, then end the sending side."""
        self._flush()
        self._transport.write_eof()

    def __getattr__(self, name):
        return getattr(self._transport, name)


def one_write_protocol(http: str = "auto"):
    """uvicorn's HTTP/1.1 protocol class for *http* (``auto``, ``httptools``, ``h11``)
    on a :class:`OneWriteTransport`: an answer leaves in one write."""
    if http in ("auto", "httptools"):
        try:
            from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
        except ImportError:  # httptools is a dependency; h11 is uvicorn's own fallback
            if http == "httptools":
                raise
            from uvicorn.protocols.http.h11_impl import H11Protocol as base
    elif http == "h11":
        from uvicorn.protocols.http.h11_impl import H11Protocol as base
    else:
        raise ValueError(f"http={http!r}: expected 'auto', 'httptools' or 'h11'")

    class OneWriteProtocol(base):
        def connection_made(self, transport) -> None:
            super().connection_made(OneWriteTransport(transport, self.loop))

    OneWriteProtocol.__name__ = OneWriteProtocol.__qualname__ = f"OneWrite{base.__name__}"
    return OneWriteProtocol
