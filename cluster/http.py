"""A lean HTTP/1.1 keep-alive client for load generation: one connection per
concurrent client, no per-request allocation beyond the bytes. (General
clients spend more CPU per request than the server under test would; JSON
goes through orjson for the same reason: parsing a page of 1,000 ports with
the standard library takes longer than a tenth of the page's target.)"""
from __future__ import annotations

import asyncio

import orjson


class HttpConnection:
    def __init__(self, host: str, port: int, headers: dict[str, str] | None = None):
        self.host, self.port = host, port
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._r: asyncio.StreamReader | None = None
        self._w: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self._r, self._w = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, body=None) -> tuple[int, dict]:
        """Sends one request; returns (status, parsed JSON body or {})."""
        if self._w is None:
            await self._connect()
        data = b"" if body is None else orjson.dumps(body)
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.extra}"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n")
        try:
            self._w.write(head.encode() + data)
            status, raw = await self._read()
        except (ConnectionError, asyncio.IncompleteReadError):
            await self.close()
            await self._connect()
            self._w.write(head.encode() + data)
            status, raw = await self._read()
        return status, (orjson.loads(raw) if raw else {})

    async def _read(self) -> tuple[int, bytes]:
        line = await self._r.readuntil(b"\r\n")
        status = int(line.split()[1])
        length, chunked = 0, False
        while True:
            h = await self._r.readuntil(b"\r\n")
            if h == b"\r\n":
                break
            k, _, v = h.decode("latin-1").partition(":")
            k = k.strip().lower()
            if k == "content-length":
                length = int(v)
            elif k == "transfer-encoding" and "chunked" in v.lower():
                chunked = True
        if not chunked:
            return status, await self._r.readexactly(length) if length else b""
        out = bytearray()
        while True:
            size = int((await self._r.readuntil(b"\r\n")).strip(), 16)
            if size == 0:
                await self._r.readuntil(b"\r\n")
                return status, bytes(out)
            out += await self._r.readexactly(size)
            await self._r.readexactly(2)

    async def close(self) -> None:
        if self._w is not None:
            self._w.close()
            try:
                await self._w.wait_closed()
            except Exception:
                pass
        self._r = self._w = None
