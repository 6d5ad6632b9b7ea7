"""Notebooks from a kernel: the Python client and ``%easymaker notebooks``
against a real server with a real notebook server process."""
from __future__ import annotations

import urllib.request

import pytest

from jupyter_easymaker.client.transport import EasyMakerError
from tests.notebook_fixtures import jp_server_config, no_notebook_left  # noqa: F401 - fixtures
from tests.test_magics import client, line, magics, run, server_url, shell  # noqa: F401 - fixtures


async def test_client_and_magics_drive_a_notebook(shell, magics, client, capsys, jp_serverapp):  # noqa: F811
    created = await line(shell, "notebooks create nb-magic --instance-type cpu-1 --data-storage-gb 30 --wait")
    assert created["status"] == "ACTIVE (HEALTHY)", created
    assert "nb-magic: ACTIVE (HEALTHY)" in capsys.readouterr().out

    assert jp_serverapp.web_app.settings["easymaker"].service("notebooks").count_active() == 1
    scripts = await line(shell, "notebooks startup-scripts nb-magic")
    assert scripts["scripts"] == [] and "no start-up scripts in cont-init.d" in capsys.readouterr().out
    usage = await line(shell, "notebooks monitoring nb-magic")
    assert usage["notebook_id"] == created["id"]
    capsys.readouterr()
    described = await line(shell, "notebooks update nb-magic --description 'from the magic'")
    assert described["description"] == "from the magic"
    url = await run(client.notebook_url, "nb-magic")
    assert url.startswith(client.url) and url.endswith("/proxy/")
    request = urllib.request.Request(url + "api/status", headers={"Authorization": f"token {jp_serverapp.identity_provider.token}"})

    def fetch() -> int:  # in a thread: the server answers on this test's event loop
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status

    assert await run(fetch) == 200

    await line(shell, "notebooks list")
    out = capsys.readouterr().out
    assert "nb-magic" in out and "ACTIVE (HEALTHY)" in out and "cpu-1" in out
    await line(shell, "notebooks open nb-magic")
    assert url in capsys.readouterr().out
    await line(shell, "notebooks show nb-magic")
    assert "data_storage_gb" in capsys.readouterr().out

    stopped = await line(shell, "notebooks stop nb-magic --wait")
    assert stopped["status"] == "STOPPED" and await run(client.notebook_url, "nb-magic") == ""
    changed = await run(client.update_notebook, "nb-magic", instance_type="cpu-2", description="bigger")
    assert changed["instance_type"] == "cpu-2" and changed["description"] == "bigger"
    with pytest.raises(EasyMakerError) as refused:
        await run(client.update_notebook, "nb-magic", instance_type="gpu-1")
    assert refused.value.status == 400
    started = await run(client.start_notebook, "nb-magic")
    assert started["status"] == "START IN PROGRESS"
    assert (await run(client.wait_notebook, "nb-magic", timeout=90))["status"] == "ACTIVE (HEALTHY)"
    scripts = await run(client.notebook_startup_scripts, "nb-magic")
    assert scripts["scripts"] == [] and "0 script(s)" in scripts["run_log"]

    await line(shell, "notebooks delete nb-magic")
    assert "DELETE IN PROGRESS" in capsys.readouterr().out
    await line(shell, "notebooks show")
    assert "notebooks show NAME" in capsys.readouterr().err
