"""The Python client against a real server (pytest-jupyter).

The client is synchronous and the server runs on the test's event loop, so
every client call goes through ``asyncio.to_thread``.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest

from jupyter_easymaker.client import Client, EasyMakerError, Page, ServerNotFound

SCRIPT = "import sys\nprint('args', sys.argv[1:])\nprint('loss=0.5 step=1')\nprint('loss=0.25 step=2')\n"
SLOW = "import time\nfor i in range(600):\n    print('tick', i, flush=True)\n    time.sleep(0.1)\n"


def inline(text: str = SCRIPT) -> dict:
    return {"type": "custom", "source_files": {"train.py": text}, "entry_point": "train.py"}


def run(fn, *args, **kwargs):
    return asyncio.to_thread(fn, *args, **kwargs)


@pytest.fixture
def server_url(jp_fetch, jp_http_port, jp_base_url):
    # jp_fetch makes sure the HTTP server listens
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}"


@pytest.fixture
def token(jp_serverapp):
    return jp_serverapp.identity_provider.token


@pytest.fixture
def client(server_url, token):
    return Client(server_url, token, timeout=10)


async def wait_status(client: Client, ref: str, statuses: set[str], timeout: float = 30.0) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        t = await run(client.get_training, ref)
        if t["status"] in statuses:
            return t
        assert loop.time() < deadline, f"{ref} stayed {t['status']}"
        await asyncio.sleep(0.1)


async def test_server_meta(client):
    info = await run(client.info)
    assert info["name"] == "jupyter-easymaker" and info["api_version"] == "v1"
    doc = await run(client.openapi)
    assert any(p.endswith("/trainings") for p in doc["paths"])
    assert isinstance(await run(client.algorithms), list)
    types = await run(client.instance_types)
    assert "cpu-1" in {t["name"] for t in types}


async def test_training_lifecycle(client):
    created = await run(client.create_training, name="c1", experiment="exp-c", algorithm=inline(), hyperparameters={"epochs": 2})
    assert created["status"] == "CREATE REQUESTED" and created["experiment_name"] == "exp-c"

    page = await run(client.list_trainings)
    assert isinstance(page, Page) and page.total == 1 and page[0]["name"] == "c1"
    assert (await run(client.list_trainings, experiment="exp-c")).total == 1
    assert (await run(client.list_trainings, status="FAIL TRAIN")).total == 0

    done = await run(client.wait, "c1", 30)
    assert done["status"] == "COMPLETE", done
    assert (await run(client.get_training, created["id"]))["name"] == "c1"

    logs = await run(client.training_logs, "c1")
    bodies = [r["body"] for r in logs["records"]]
    assert any("args ['--epochs', '2']" in b for b in bodies), bodies
    assert logs["next_after"] == logs["records"][-1]["id"]
    assert (await run(client.training_logs, "c1", after=logs["next_after"]))["records"] == []

    def follow_all():
        gen = client.follow_logs("c1")
        records = []
        try:
            while True:
                records.append(next(gen))
        except StopIteration as stop:
            return records, stop.value

    followed, final = await run(follow_all)
    assert [r["body"] for r in followed] == bodies and final == "COMPLETE"

    metrics = await run(client.metrics, "c1")
    loss = next(m for m in metrics["metrics"] if m["name"] == "loss")
    assert loss["values"] == [0.5, 0.25] and loss["last"] == 0.25

    copy = await run(client.copy_training, "c1", hyperparameters={"epochs": 5})
    assert copy["name"] == "c1-copy" and copy["spec"]["hyperparameters"] == {"epochs": 5}
    assert (await run(client.wait, copy["id"], 30))["status"] == "COMPLETE"
    copy_logs = await run(client.training_logs, copy["id"])
    assert any("args ['--epochs', '5']" in r["body"] for r in copy_logs["records"])
    body = await run(client.copy_training, "c1", create=False)
    assert body["name"] == "c1-copy-2" and body["experiment_id"] == created["experiment_id"]

    names = [t["name"] for t in await run(lambda: list(client.iter_trainings(page_size=1)))]
    assert sorted(names) == ["c1", "c1-copy"]

    renamed = await run(client.update_training, "c1-copy", description="second run")
    assert renamed["description"] == "second run"
    await run(client.delete_training, "c1-copy")
    with pytest.raises(EasyMakerError) as err:
        await run(client.get_training, "c1-copy")
    assert err.value.status == 404 and "does not exist" in str(err.value)


async def test_follow_and_stop_a_running_training(client):
    await run(client.create_training, name="slow", experiment="exp-s", algorithm=inline(SLOW))
    await wait_status(client, "slow", {"RUNNING"})

    def first_lines(n: int) -> list[str]:
        lines = []
        for record in client.follow_logs("slow"):
            lines.append(record["body"])
            if len(lines) == n:
                break
        return lines

    assert await run(first_lines, 3) == ["tick 0", "tick 1", "tick 2"]
    with pytest.raises(EasyMakerError) as err:
        await run(client.delete_training, "slow")
    assert err.value.status == 409 and err.value.field == "status"
    stopping = await run(client.stop_training, "slow")
    assert stopping["status"] == "STOP IN PROGRESS"
    assert (await run(client.wait, "slow", 30, 0.1))["status"] == "STOPPED"
    await run(client.delete_training, "slow")


async def test_errors_name_their_field(client):
    with pytest.raises(EasyMakerError) as err:
        await run(client.create_training, name="bad", experiment="e", algorithm={"type": "custom", "source_files": {"a.py": ""}, "entry_point": "main.py"})
    assert err.value.status == 422 and err.value.field.startswith("algorithm")
    with pytest.raises(EasyMakerError) as err:
        await run(client.create_training, name="bad name!", experiment="e", algorithm=inline())
    assert err.value.field == "name" and str(err.value).startswith("name:")
    with pytest.raises(EasyMakerError) as err:
        await run(client.create_training, name="x", experiment="e", algorithm=inline(), nodes=0)
    assert err.value.field == "nodes"
    with pytest.raises(EasyMakerError) as err:
        await run(client.create_training, name="x", experiment="e", algorithm=inline(), instance_type="huge")
    assert err.value.field == "instance_type" and "cpu-1" in err.value.message
    await run(client.create_training, name="dup", experiment="e", algorithm=inline())
    with pytest.raises(EasyMakerError) as err:
        await run(client.create_training, name="dup", experiment="e", algorithm=inline())
    assert err.value.status == 409 and err.value.field == "name"
    with pytest.raises(EasyMakerError) as err:
        await run(client.list_trainings, sort="bogus")
    assert err.value.field == "sort"
    await run(client.wait, "dup", 30)


async def test_bad_token_and_unreachable_server(server_url):
    with pytest.raises(EasyMakerError) as err:
        await run(Client(server_url, "wrong-token").info)
    assert err.value.status == 403 and "token" in str(err.value)
    with pytest.raises(ServerNotFound):
        await run(Client("http://127.0.0.1:9/", "t", timeout=2).info)


async def test_experiments(client):
    exp = await run(client.create_experiment, "exp-a", "first")
    assert exp["name"] == "exp-a"
    await wait_experiment_active(client, "exp-a")
    assert (await run(client.get_experiment, exp["id"]))["description"] == "first"
    assert (await run(client.update_experiment, "exp-a", description="changed"))["description"] == "changed"
    copy = await run(client.copy_experiment, "exp-a")
    assert copy["name"].startswith("exp-a-copy") and copy["description"] == "changed"
    listed = await run(client.list_experiments)
    assert {e["name"] for e in listed} == {"exp-a", copy["name"]} and listed.total == 2
    with pytest.raises(EasyMakerError) as err:
        await run(client.retry_experiment, "exp-a")
    assert err.value.status == 409
    await wait_experiment_active(client, copy["name"])
    await run(client.delete_experiment, copy["name"])
    assert (await run(client.list_experiments)).total == 1


async def wait_experiment_active(client, ref):
    for _ in range(100):
        if (await run(client.get_experiment, ref))["status"] == "ACTIVE":
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"experiment {ref} never became ACTIVE")


async def test_templates(client):
    await run(client.create_training, name="base", experiment="exp-t", algorithm=inline(), hyperparameters={"epochs": 1, "lr": 0.1})
    await run(client.wait, "base", 30)
    tpl = await run(client.save_as_template, "base", "tpl1")
    assert tpl["hyperparameter_names"] == ["epochs", "lr"]
    assert [t["name"] for t in await run(client.list_templates)] == ["tpl1"]
    assert (await run(client.update_template, "tpl1", description="d"))["description"] == "d"
    tpl_copy = await run(client.copy_template, "tpl1", name="tpl2")
    assert tpl_copy["name"] == "tpl2" and (await run(client.get_template, "tpl2"))["spec"]["hyperparameters"]["lr"] == 0.1

    made = await run(client.create_training_from_template, "tpl1", experiment="exp-t", hyperparameters={"epochs": 3})
    assert made["name"].startswith("tpl1-") and made["template_id"] == tpl["id"]
    final = await run(client.wait, made["id"], 30)
    assert final["status"] == "COMPLETE"
    logs = await run(client.training_logs, made["id"])
    assert any("'--epochs', '3'" in r["body"] for r in logs["records"])
    records = await run(client.search_logs, 'category:"easymaker.training"')
    assert records and all(r.get("category") == "easymaker.training" for r in records)

    created = await run(client.create_template, "tpl3", algorithm=inline(), hyperparameters={"a": 1})
    assert created["name"] == "tpl3"
    await run(client.delete_template, "tpl3")
    with pytest.raises(EasyMakerError):
        await run(client.get_template, "tpl3")


# -- discovery ---------------------------------------------------------------------
@pytest.fixture
def no_env(server_url, monkeypatch, tmp_path):  # after the server: it writes its own runtime file at start
    monkeypatch.delenv("JUPYTER_EASYMAKER_URL", raising=False)
    monkeypatch.delenv("JUPYTER_EASYMAKER_TOKEN", raising=False)
    runtime = tmp_path / "discovery-runtime"  # not the test server's own runtime dir
    runtime.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    return runtime


async def test_discovery_from_environment(no_env, monkeypatch, server_url, token):
    monkeypatch.setenv("JUPYTER_EASYMAKER_URL", server_url.rstrip("/"))
    monkeypatch.setenv("JUPYTER_EASYMAKER_TOKEN", token)
    client = Client()
    assert client.url == server_url and client.token == token
    assert (await run(client.info))["name"] == "jupyter-easymaker"
    # an explicit URL takes the token of the environment when it names the same server
    assert Client(server_url).token == token


async def test_discovery_from_runtime_files(no_env, server_url, token):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()

    def write(name: str, info: dict, mtime: float) -> None:
        path = no_env / name
        path.write_text(json.dumps(info))
        os.utime(path, (mtime, mtime))

    # newest first: a dead server, a live one without the extension, then ours
    write("jpserver-1.json", {"url": server_url, "token": token, "pid": dead.pid}, 3000)
    write("jpserver-2.json", {"url": "http://127.0.0.1:9/", "token": "x", "pid": os.getpid()}, 2000)
    write("jpserver-3.json", {"url": server_url, "token": token, "pid": os.getpid()}, 1000)
    client = await run(Client)
    assert client.url == server_url and client.token == token
    assert (await run(client.list_trainings)).total == 0
    # an explicit URL finds its token in the runtime files
    assert Client(server_url).token == token


async def test_server_not_found_explains_what_to_do(no_env):
    with pytest.raises(ServerNotFound) as err:
        await run(Client)
    text = str(err.value)
    assert "JUPYTER_EASYMAKER_URL" in text and "Client(url=" in text and str(no_env) in text


async def test_events_stream(client):
    def first_change():
        for event in client.events():
            if event.get("kind") == "experiment":
                return event

    waiting = asyncio.ensure_future(run(first_change))
    await asyncio.sleep(0.3)  # let the stream connect
    await run(client.create_experiment, "exp-ev")
    event = await asyncio.wait_for(waiting, 10)
    assert event["name"] == "exp-ev" and event["change"] == "created"


def test_client_and_magics_load_nothing_of_the_server():
    """In a fresh interpreter: the client composed of every area's methods, and
    every area's magic commands parsed, without jupyter_server, tornado,
    pydantic or SQLAlchemy, and without any area's server-side module."""
    code = (
        "import sys\n"
        "from jupyter_easymaker import Client\n"
        "from jupyter_easymaker.client import FINAL_TRAINING_STATUSES\n"
        "from jupyter_easymaker.magics import parser\n"
        "assert Client.list_trainings and Client.predict and Client.wait_model_evaluation\n"
        "names = [c.name for c in parser.commands()]\n"
        "assert {'train', 'hpo', 'batch', 'deploy', 'compare', 'tensorboard', 'connect'} <= set(names), names\n"
        "parser.parse('train --name x')\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'jupyter_server', 'tornado', 'pydantic', 'sqlalchemy', 'ipywidgets'})\n"
        "server_side = sorted(m for m in sys.modules if m.startswith('jupyter_easymaker.areas.')"
        " and m.rsplit('.', 1)[-1] in ('service', 'tables', 'schemas', 'handlers', 'reconciler'))\n"
        "print(heavy, server_side)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[] []", out


def test_client_is_composed_of_the_areas_mixins():
    """Every area that declares client methods contributes them, and no area's
    method hides another's; the final statuses are the state machines' settled ones."""
    from jupyter_easymaker.areas import AREAS
    from jupyter_easymaker.areas.trainings.statuses import TRAINING_MACHINE
    from jupyter_easymaker.areas.tuning.statuses import HYPERPARAMETER_TUNING_MACHINE
    from jupyter_easymaker.client import FINAL_TRAINING_STATUSES, FINAL_TUNING_STATUSES

    mixins = [area.resolve(area.client) for area in AREAS if area.client]
    assert len(mixins) >= 9 and all(m in Client.__mro__ for m in mixins)
    seen: dict[str, str] = {}
    for mixin in mixins:
        for name in vars(mixin):
            if callable(vars(mixin)[name]) and not name.startswith("__"):
                assert name not in seen, f"{name} is defined by {seen.get(name)} and {mixin.__name__}"
                seen[name] = mixin.__name__
    assert set(FINAL_TRAINING_STATUSES) == TRAINING_MACHINE.settled == {"COMPLETE", "FAIL TRAIN", "STOPPED", "CREATE FAILED"}
    assert set(FINAL_TUNING_STATUSES) == HYPERPARAMETER_TUNING_MACHINE.settled
