"""Images and registry accounts from a notebook: the client's methods and the
``%easymaker images`` / ``%easymaker registry-accounts`` magics against a real
server (magics block on urllib, so they run in a thread)."""
from __future__ import annotations

import pytest

from jupyter_easymaker.client import EasyMakerError
from tests.test_magics import client, run, server_url, shell  # noqa: F401 - fixtures

HOST = "example-kr1-registry.container.nhncloud.com"


async def test_client_images_and_accounts(client):
    account = await run(client.create_registry_account, "ncr", username="AK", password="pw-123456789", registry_address=HOST)
    assert account["password"] == "********"
    image = await run(client.create_image, "custom", address=f"{HOST}/team/custom:v1", image_type="TRAINING",
                      registry_account="ncr")
    assert image["registry_account_name"] == "ncr"
    inline = await run(client.create_image, "inline", address="docker.io/library/python:3.12", image_type="NOTEBOOK",
                       new_registry_account={"name": "hub", "registry_type": "DOCKER_HUB", "username": "me", "password": "pw"})
    assert inline["registry_account_name"] == "hub"
    assert {i["name"] for i in await run(client.list_images)} == {"custom", "inline"}
    assert len(await run(client.list_base_images, "NOTEBOOK")) == 6
    assert (await run(client.get_image, "custom"))["address"] == f"{HOST}/team/custom:v1"
    assert (await run(client.update_registry_account, "ncr", description="main"))["description"] == "main"
    changed = await run(client.update_registry_credentials, "ncr", username="AK2", password="pw-2")
    assert changed["username"] == "AK2" and changed["warnings"] == []
    with pytest.raises(EasyMakerError) as refused:
        await run(client.delete_registry_account, "ncr")
    assert refused.value.status == 409 and "custom" in str(refused.value)
    assert (await run(client.update_image, "custom", name="custom-2"))["name"] == "custom-2"
    await run(client.delete_image, "custom-2")
    await run(client.delete_registry_account, "ncr")
    assert [a["name"] for a in await run(client.list_registry_accounts)] == ["hub"]


async def test_magics(shell, client, capsys, monkeypatch):
    shell.magics_manager.registry["EasyMakerMagics"].client = client
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "typed-password-1")

    def magic(text):
        return run(shell.run_line_magic, "easymaker", text)

    account = await magic(f"registry-accounts create ncr --username AK --address {HOST}")
    assert account["name"] == "ncr"
    await magic("registry-accounts list")
    out = capsys.readouterr().out
    assert "ncr" in out and HOST in out and "typed-password-1" not in out
    image = await magic(f"images create custom --address {HOST}/team/custom:v1 --type TRAINING --account ncr")
    assert image["registry_account_name"] == "ncr"
    await magic("images list")
    assert "custom" in capsys.readouterr().out
    await magic("images list --base")
    out = capsys.readouterr().out
    assert "Ubuntu 22.04 GPU TensorFlow Training" in out and "AVAILABLE HERE" in out
    await magic("images base")
    assert "Ubuntu 22.04 GPU TensorFlow Training" in capsys.readouterr().out
    shown = await magic("images show custom")
    assert shown["name"] == "custom" and "available here: yes" in capsys.readouterr().out
    renamed = await magic("images update custom --new-name custom2 --description 'team image'")
    assert (renamed["name"], renamed["description"]) == ("custom2", "team image")
    renamed = await magic("images update custom2 --new-name custom")
    assert renamed["description"] == "team image"  # a field not given stays
    changed = await magic("registry-accounts credentials ncr --username AK2")
    assert changed["username"] == "AK2"
    shown = await magic("registry-accounts show ncr")
    assert shown["password"] == "********" and "typed-password-1" not in capsys.readouterr().out
    await magic("registry-accounts delete ncr")  # refused: the magic shows the server's reason
    out = capsys.readouterr()
    assert "custom" in out.out + out.err
    assert (await run(client.get_registry_account, "ncr"))["name"] == "ncr"
    await magic("images delete custom")
    await magic("registry-accounts delete ncr")
    assert await run(client.list_registry_accounts) == []
