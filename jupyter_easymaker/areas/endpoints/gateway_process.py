"""The inference gateway process: ``python -m jupyter_easymaker.areas.endpoints.gateway_process --config FILE``.

It runs beside the Jupyter server (started and supervised by it,
``gateway_supervisor.py``; on Kubernetes it is a Deployment of its own), so
that inference traffic never waits on JupyterLab's event loop and JupyterLab
never waits on inference. The decisions are the endpoints area's ``Gateway``,
loaded from the same store; the Jupyter server tells it when to reload and
what to drain over the control channel; statistics, API key usage and
inference logs are written to the store from here.

The config file (JSON, written by the supervisor or mounted on Kubernetes):
``db_url``, ``host``, ``port``, ``secret_file``, ``state_file`` (the
supervisor's pid file: the process leaves when it names another process),
``log_type``, ``options`` (the ``serving`` options), ``listeners``,
``reload_seconds`` (routes read from the store on a timer too; Kubernetes) and
``handoff_socket`` (where local model servers link to take kept-alive
connections over, ``gateway_handoff.py``; absent: none are handed over).
"""
from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from jupyter_easymaker.areas.endpoints.gateway import Gateway
from jupyter_easymaker.areas.endpoints.gateway_handoff import Handoff
from jupyter_easymaker.areas.endpoints.gateway_http import GatewayServer
from jupyter_easymaker.areas.endpoints.schemas import ApiKeyCreate, ApiKeyOut
from jupyter_easymaker.areas.endpoints.tables import EndpointApiKey, EndpointApiStat
from jupyter_easymaker.backend.processes import lower_priority
from jupyter_easymaker.backend.serving.base import ServingOptions
from jupyter_easymaker.core.api_keys import ApiKeyService
from jupyter_easymaker.core.api_stats import ApiStats
from jupyter_easymaker.core.db import Database
from jupyter_easymaker.core.log_index import Keeper, LogIndex

log = logging.getLogger("jupyter_easymaker.gateway")
OWNER_CHECK_SECONDS = 2.0
FLUSH_SECONDS = 0.25
LOG_INDEX_SECONDS = 2.0

# A listener is started on the gateway's loop once the inference listener is up:
# ``async def start(gateway, config) -> server`` (anything with ``close()``; an
# awaitable ``wait_closed()`` is awaited). Further protocols (a gRPC proxy) are
# added here or named in the config's ``listeners`` ("module:function").
Listener = Callable[[Gateway, dict], Awaitable[Any]]
LISTENERS: list[Listener] = []


def build_gateway(config: dict) -> Gateway:
    db = Database(config["db_url"], migrate=False)  # the Jupyter server owns the schema
    options = ServingOptions.from_dict(config.get("options"))
    keys = ApiKeyService(db, EndpointApiKey, "endpoint_id", create=ApiKeyCreate, out=ApiKeyOut, kind="endpoint")
    stats = ApiStats(db, EndpointApiStat, owner="endpoint_id", part="stage_id")
    return Gateway(db, keys, stats, options, log_type=config.get("log_type") or "jupyter-easymaker")


class Controls:
    """What the Jupyter server may ask (``gateway_control.py`` is its side)."""

    def __init__(self, gateway: Gateway, port: int, handoff: Handoff | None = None):
        self.gateway = gateway
        self.port = port
        self.handoff = handoff  # connections held by local model servers are recalled when routes change

    async def __call__(self, op: str, body: dict) -> tuple[int, Any]:
        gateway = self.gateway
        run = asyncio.get_running_loop().run_in_executor
        handoff = self.handoff
        if op == "ping":
            return 200, {"pid": os.getpid(), "port": self.port, **({"handoff": handoff.describe()} if handoff else {})}
        if op == "reload":  # (a revoked key is "forget_keys"; a deleted endpoint's keys route nowhere)
            await run(None, gateway.reload)
            if handoff is not None:
                handoff.recall()
            return 200, {"reloaded": True}
        if op == "forget_keys":
            gateway.keys.forget_all()
            if handoff is not None:
                handoff.recall()  # a key revoked is refused on the next request, wherever it comes
            return 200, {"forgotten": True}
        if op == "drain":
            addresses = list(body.get("addresses") or [])
            await run(None, gateway.drain, addresses)
            if handoff is not None:
                handoff.recall(addresses)
            return 200, {"draining": sorted(gateway.draining)}
        if op == "undrain":
            gateway.undrain(list(body.get("addresses") or []))
            return 200, {"draining": sorted(gateway.draining)}
        if op == "in_flight":  # and the connections model servers hold: recalled ones come back when answered
            where = {"resource_id": body.get("resource_id"), "addresses": body.get("addresses")}
            return 200, {"in_flight": gateway.in_flight(**where) + (handoff.held_at(**where) if handoff else 0)}
        if op == "describe":
            described = gateway.describe(str(body.get("endpoint_id")), str(body.get("stage_id")))
            if handoff is not None:  # a connection a server holds counts as in flight there
                for model, addresses in described["models"].items():
                    described["in_flight"][model] += handoff.held_at(addresses=addresses)
            return 200, described
        if op == "flush":
            if handoff is not None:
                await handoff.collect()  # what model servers answered on handed connections counts too
            await run(None, gateway.flush)
            return 200, {"flushed": True}
        return 404, {"error": f"unknown control operation {op!r}"}


def _owned(state_file: str | None) -> bool:
    """Whether the supervisor's pid file still names this process (a gateway
    started in its place, or a removed data folder, ends this one)."""
    if not state_file:
        return True
    try:
        with open(state_file) as f:
            return int(json.load(f).get("pid", 0)) == os.getpid()
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return True  # being rewritten: ask again later


async def _watch_owner(state_file: str | None, stop: asyncio.Event) -> None:
    misses = 0
    while not stop.is_set():
        await asyncio.sleep(OWNER_CHECK_SECONDS)
        misses = 0 if _owned(state_file) else misses + 1
        if misses >= 2:
            log.warning("easymaker gateway: %s no longer names this process; leaving", state_file)
            stop.set()


async def _every(seconds: float, stop: asyncio.Event, work: Callable[[], Any], what: str) -> None:
    """``work`` in a worker thread every ``seconds``, and once more when ``stop`` is set (the loop
    never waits for the store's lock)."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except TimeoutError:
            pass
        try:
            await loop.run_in_executor(None, work)
        except Exception:
            log.exception("easymaker gateway: %s failed", what)


def _flush_loop(gateway: Gateway, stop: asyncio.Event) -> Awaitable[None]:
    # often: many small transactions hold the store's write lock for short moments, one big one for long
    every = min(gateway.options.stats_flush_seconds, FLUSH_SECONDS)
    return _every(every, stop, lambda: gateway.dirty and gateway.flush(), "writing statistics and inference logs")


def _index_loop(gateway: Gateway, stop: asyncio.Event) -> Awaitable[None]:
    """The log search's indexes brought up to the records this process writes, at its CPU priority
    (core/log_index.py Keeper; the Jupyter server's controller leaves them to it)."""
    return _every(LOG_INDEX_SECONDS, stop, Keeper(LogIndex(gateway.db)).tick, "indexing log records")


async def _reload_loop(gateway: Gateway, seconds: float, stop: asyncio.Event) -> None:
    """Routes read from the store on a timer, where nobody tells this gateway of changes (Kubernetes)."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except TimeoutError:
            pass
        try:
            gateway.keys.forget_all()
            await loop.run_in_executor(None, gateway.reload)
        except Exception:
            log.exception("easymaker gateway: reloading the routes failed")


def _listeners(config: dict, options: ServingOptions) -> list[Listener]:
    out = list(LISTENERS)
    if options.grpc_port:  # grpc is imported only when the v2 gRPC side is asked for
        from jupyter_easymaker.areas.endpoints.grpc_gateway import start_listener

        out.append(start_listener)
    for ref in config.get("listeners") or []:
        module, _, name = ref.partition(":")
        out.append(getattr(importlib.import_module(module), name))
    return out


def _read_secret(path: str) -> str:
    with open(path) as f:
        return f.read().strip()


async def serve(config: dict) -> None:
    loop = asyncio.get_running_loop()
    # the flushing thread holds the store's write lock while it runs: with the busy loop holding the
    # GIL for 5 ms slices, the Jupyter server's transactions would wait that much longer behind it
    sys.setswitchinterval(0.0005)
    gateway = build_gateway(config)
    await loop.run_in_executor(None, gateway.reload)
    secret = _read_secret(config["secret_file"])
    port = int(config["port"])
    handoff = None
    if config.get("handoff_socket"):
        handoff = Handoff(gateway, config["handoff_socket"], local_hosts={gateway.options.local_host})
    server = GatewayServer(gateway, secret=secret, control=Controls(gateway, port, handoff), log=log)
    if handoff is not None:
        try:
            handoff.start(server.adopt)
            server.handoff = handoff
        except OSError:  # every request still comes through here
            log.exception("easymaker gateway: the handoff socket %s could not be opened", config["handoff_socket"])
    servers = [await loop.create_server(server.protocol, config.get("host") or "127.0.0.1", port,
                                        reuse_address=True, backlog=4096)]
    for start in _listeners(config, gateway.options):  # more listeners on the same loop (e.g. gRPC)
        try:
            servers.append(await start(gateway, config))
        except Exception:  # noqa: BLE001 - e.g. a port taken: HTTP inference still serves
            log.exception("easymaker gateway: a listener could not start (%s)", getattr(start, "__module__", start))
    log.info("easymaker gateway: listening on %s:%d (pid %d)", config.get("host"), port, os.getpid())
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    tasks = [loop.create_task(server.sweep()), loop.create_task(_flush_loop(gateway, stop)),
             loop.create_task(_index_loop(gateway, stop)), loop.create_task(_watch_owner(config.get("state_file"), stop))]
    if config.get("reload_seconds"):
        tasks.append(loop.create_task(_reload_loop(gateway, float(config["reload_seconds"]), stop)))
    await stop.wait()
    for s in servers:
        s.close()
    for s in servers:
        wait_closed = getattr(s, "wait_closed", None)
        if wait_closed is not None:
            try:
                await asyncio.wait_for(wait_closed(), 5)
            except TimeoutError:
                pass
    for task in tasks:
        task.cancel()
    server.pool.close()
    if server.handoff is not None:
        server.handoff.close()  # model servers keep their connections and link again to the next gateway
    await loop.run_in_executor(None, gateway.flush)  # what was answered so far is in the store


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The EasyMaker inference gateway")
    parser.add_argument("--config", required=True, help="the gateway's JSON config file")
    args = parser.parse_args(argv)
    with open(args.config) as f:
        config = json.load(f)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    nice = int((config.get("options") or {}).get("gateway_nice") or 0)
    if nice > 0:  # JupyterLab and the kernels first when the host's CPUs are all busy
        lower_priority(os.getpid(), nice)
    try:
        import uvloop
    except ImportError:  # the standard loop still serves, slower
        asyncio.run(serve(config))
    else:
        uvloop.run(serve(config))


if __name__ == "__main__":
    main()
