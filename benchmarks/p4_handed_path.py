"""P4 (part): what a model server spends per request on a connection the gateway handed it, against
the same request through uvicorn (its own port, "direct").

    python benchmarks/p4_handed_path.py [--requests 20000] [--rounds 5]

One process, one event loop (uvloop), the same app (``ModelServer``) with the
same model (LogisticRegression on iris, v1 predict, one instance): requests
are fed one after the other to uvicorn's HTTP protocol (httptools) and to a
handed connection (``runtime/model_server/handed.py``), each on a transport
that keeps nothing, so only the server's own work is timed (no sockets, no
client). Rounds are interleaved. The handed connection is timed twice: with
the same head on every request, as most clients send it (parsed once,
``Request.again``), and with a head of its own on every request (a client's
own ``X-Inference-Id``: parsed each time). Every handed request is counted
and logged for the gateway's report, as in the product.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time

BODY = b'{"instances": [[6.8, 2.8, 4.8, 1.4]]}'
KEY = "em_bench"
PREFIX = "/easymaker/inference/bench/iris/"


class Sink(asyncio.Transport):
    """A transport that keeps nothing and says when an answer was written."""

    def __init__(self):
        super().__init__()
        self.answered: asyncio.Future | None = None

    def get_extra_info(self, name, default=None):
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8080)}.get(name, default)

    def write(self, data) -> None:
        if self.answered is not None and not self.answered.done():
            self.answered.set_result(None)

    def is_closing(self) -> bool:
        return False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_write_buffer_limits(self, high=None, low=None) -> None:
        pass


async def started(app) -> asyncio.Queue:
    """The app's lifespan started (the model loaded): put ``lifespan.shutdown`` in the queue it returns to end it."""
    events: asyncio.Queue = asyncio.Queue()
    await events.put({"type": "lifespan.startup"})
    done = asyncio.Event()

    async def send(message) -> None:
        if message["type"].startswith("lifespan.startup"):
            done.set()

    asyncio.get_running_loop().create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, events.get, send))
    await done.wait()
    return events


async def timed(protocol, sink: Sink, requests: list[bytes]) -> float:
    """µs per request, answered one after the other."""
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    for request in requests:
        sink.answered = loop.create_future()
        protocol.data_received(request)
        await sink.answered
    return (time.perf_counter() - start) / len(requests) * 1e6


async def run(model_dir: str, count: int, rounds: int) -> None:
    import uvicorn
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    from uvicorn.server import ServerState

    from jupyter_easymaker.runtime.model_server.app import ModelServer, ServerConfig
    from jupyter_easymaker.runtime.model_server.handed import Grant, HandedConnection
    from jupyter_easymaker.runtime.model_server.handoff import GatewayLink

    app = ModelServer(ServerConfig(name="iris", framework="scikit-learn", model_dir=model_dir, params={},
                                   exit_on_load_error=True, port=8080))
    lifespan = await started(app)
    config = uvicorn.Config(app, http="httptools", loop="uvloop", access_log=False, lifespan="off", log_level="warning")
    config.load()
    direct_sink = Sink()
    direct = HttpToolsProtocol(config=config, server_state=ServerState(), app_state={})
    direct.connection_made(direct_sink)
    link = GatewayLink(app, os.devnull, 8080)  # never linked: what it counts waits for a report
    grant = Grant({"id": "g", "who": {}, "prefix": PREFIX, "key": KEY, "stage": "default"})
    handed_sink = Sink()
    handed = HandedConnection(link, app, grant)
    handed.connection_made(handed_sink)

    direct_request = (b"POST /v1/models/iris/predict HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                      b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s") % (len(BODY), BODY)

    def handed_request(inference_id: str = "") -> bytes:
        own = f"X-Inference-Id: {inference_id}\r\n" if inference_id else ""
        return (f"POST {PREFIX}v1/models/iris/predict HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n"
                f"Content-Type: application/json\r\nAuthorization: Bearer {KEY}\r\n{own}"
                f"Content-Length: {len(BODY)}\r\n\r\n").encode() + BODY

    same = [handed_request()] * count
    own_heads = [handed_request(f"client-{i:08d}") for i in range(count)]
    cases = {"uvicorn (direct)": (direct, direct_sink, [direct_request] * count),
             "handed, same head": (handed, handed_sink, same),
             "handed, own heads": (handed, handed_sink, own_heads)}
    took: dict[str, list[float]] = {name: [] for name in cases}
    for round_ in range(rounds + 1):  # the first round is not counted: caches, the model's first calls
        for name, (protocol, sink, requests) in cases.items():
            micros = await timed(protocol, sink, requests)
            if round_:
                took[name].append(micros)
        link.requests.clear()
        link.logs.clear()
        link.latencies = link.log_count = 0
    base = statistics.median(took["uvicorn (direct)"])
    print(f"{'path':20s} {'µs/request':>11s} {'ratio':>7s}   (median of {rounds} interleaved rounds of {count})")
    for name, values in took.items():
        median = statistics.median(values)
        print(f"{name:20s} {median:11.2f} {median / base:6.2f}x")
    await lifespan.put({"type": "lifespan.shutdown"})
    await asyncio.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import joblib
    import uvloop
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    with tempfile.TemporaryDirectory() as model_dir:
        X, y = load_iris(return_X_y=True)
        joblib.dump(LogisticRegression(max_iter=500).fit(X, y), os.path.join(model_dir, "model.joblib"))
        uvloop.run(run(model_dir, args.requests, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
