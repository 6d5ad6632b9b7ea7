"""The benchmarks' load generator: keep-alive HTTP/1.1 connections driven by one
asyncio loop, each sending the same request back to back, and the latency summary
every benchmark prints. Raw sockets rather than an HTTP client library, so that the
client's own cost stays small next to the server's."""
from __future__ import annotations

import asyncio
import statistics
import time


def post_request(path: str, body: bytes, headers: str = "") -> bytes:
    """A POST of ``body`` to ``path`` as bytes on the wire; ``headers`` are extra
    ``Name: value\\r\\n`` lines."""
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{headers}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one response (sized or chunked) off the connection; its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked = 0, False
    for line in head.split(b"\r\n"):
        lower = line.lower()
        if lower.startswith(b"content-length:"):
            length = int(line[15:])
        elif lower.startswith(b"transfer-encoding:") and b"chunked" in lower:
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


def summary(latencies: list[float], seconds: float | None) -> dict:
    """requests, rps (when the measured time is known), p50/p99/mean in ms."""
    n = len(latencies)
    if not n:
        return {"requests": 0, "rps": 0.0, "p50_ms": float("inf"), "p99_ms": float("inf"), "mean_ms": float("inf")}
    ordered = sorted(latencies)
    q = statistics.quantiles(ordered, n=100, method="inclusive") if n > 1 else ordered * 99  # within the data
    return {"requests": n, "rps": round(n / seconds, 1) if seconds else None, "p50_ms": round(q[49] * 1000, 3),
            "p99_ms": round(q[98] * 1000, 3), "mean_ms": round(statistics.fmean(ordered) * 1000, 3)}


async def http_load(port: int, request: bytes, concurrency: int, seconds: float, warmup: float, *,
                    statuses: list[int] | None = None, stop: asyncio.Event | None = None) -> dict:
    """``concurrency`` connections to 127.0.0.1:``port`` sending ``request`` for
    ``warmup`` + ``seconds`` (or until ``stop`` is set); latencies of 200 answers after
    the warm-up are summarised, other answers counted as errors. Every status is
    appended to ``statuses`` when given."""
    latencies: list[float] = []
    errors = 0
    measure_from = time.perf_counter() + warmup
    end = measure_from + seconds

    def going(now: float) -> bool:
        return now < end if stop is None else not stop.is_set()

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while going(t0 := time.perf_counter()):
                writer.write(request)
                status = await read_response(reader)
                t1 = time.perf_counter()
                if statuses is not None:
                    statuses.append(status)
                if t0 >= measure_from:
                    if status == 200:
                        latencies.append(t1 - t0)
                    else:
                        errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {**summary(latencies, seconds if stop is None else None), "errors": errors}
