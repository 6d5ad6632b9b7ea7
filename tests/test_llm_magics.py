"""%easymaker llm / chat / finetune in a bare IPython shell against a real
server: register, list, load, a chat streamed into the output, templates,
unload; a fine-tuning from a cell of JSONL with its live view, stopped and
restarted through the magic (continuing from its checkpoint)."""
from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llm_builders
from tests.server_config import server_config

try:
    from tests.test_magics import cell, client, line, magics, run, server_url, shell
except ImportError:  # run from tests/
    from test_magics import cell, client, line, magics, run, server_url, shell  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    """A cell's training data is written next to the notebook (the working directory)."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory):
    return llm_builders.build_tiny_llama(str(tmp_path_factory.mktemp("tiny") / "tiny-llama"))


@pytest.fixture
def jp_server_config(easymaker_data, tmp_path, tiny_llama):
    return server_config(easymaker_data, tmp_path, local_roots=[str(tmp_path), os.path.dirname(tiny_llama)],
                         stop_grace_seconds=5.0, local_cpu=64.0, local_memory_mib=1 << 20)


async def wait_for(client, name, check, timeout=120.0):
    deadline = time.monotonic() + timeout
    while True:
        model = await run(client.get_llm_model, name)
        if check(model):
            return model
        assert time.monotonic() < deadline, f"{name}: {model['status']} {model['status_reason']}"
        await asyncio.sleep(0.1)


async def test_llm_register_load_chat_unload(shell, magics, client, tiny_llama, capsys):
    await line(shell, f"llm register tiny --path {tiny_llama} --kind instruction")
    assert "tiny: TRAINED" in capsys.readouterr().out
    await line(shell, "llm list")
    out = capsys.readouterr().out
    assert "tiny" in out and "TRAINED" in out and "huggingface" in out
    await line(shell, "llm load tiny --keep-alive 0 --wait")
    assert "tiny: RUNNING" in capsys.readouterr().out
    assert (await run(client.get_llm_model, "tiny"))["loaded"]["address"]

    answer = await line(shell, 'chat tiny "hello there" --max-tokens 5 --temperature 0 --system "Be brief."')
    printed = capsys.readouterr().out
    assert isinstance(answer, str) and printed == answer + "\n"  # streamed into the output as it came
    pieces = await run(lambda: list(client.chat("tiny", "hello there", stream=True, max_tokens=5, temperature=0)))
    whole = await run(lambda: list(client.chat("tiny", "hello there", stream=False, max_tokens=5, temperature=0)))
    assert len(pieces) >= 1 and "".join(pieces) == whole[0]

    await run(client.create_prompt_template, "greet", "Hello {{name}}", system_prompt="You are {{persona}}.")
    await line(shell, "llm templates")
    out = capsys.readouterr().out
    assert "greet" in out and "persona, name" in out

    await line(shell, "llm unload tiny")
    assert "tiny: TRAINED" in capsys.readouterr().out
    await wait_for(client, "tiny", lambda m: m["loaded"] is None)
    assert await line(shell, 'chat tiny "hi"') is None
    err = capsys.readouterr().err
    assert "must be loaded" in err and "Traceback" not in err


async def test_llm_model_show_update_logs_metrics_and_delete(shell, magics, client, tiny_llama, capsys):
    await line(shell, f"llm register tiny --path {tiny_llama} --kind instruction")
    capsys.readouterr()
    shown = await line(shell, "llm show tiny")
    out = capsys.readouterr().out
    assert shown["name"] == "tiny" and "model         tiny" in out and "status        TRAINED" in out
    assert f"path          {tiny_llama}" in out

    updated = await line(shell, 'llm update tiny --description "a tiny test llama" --kind foundation --context-length 64')
    assert "tiny: description a tiny test llama  kind foundation  context length 64" in capsys.readouterr().out
    stored = await run(client.get_llm_model, "tiny")
    assert (stored["description"], stored["kind"], stored["context_length"]) == ("a tiny test llama", "foundation", 64)
    assert updated["kind"] == "foundation"
    assert await line(shell, "llm update tiny") is None  # nothing to change: refused before any request
    assert "give --description, --kind and/or --context-length" in capsys.readouterr().err
    assert await line(shell, "llm update tiny --context-length 0") is None
    assert "argument --context-length" in capsys.readouterr().err

    # a registered base model was never fine-tuned: the logs and metrics say so
    await line(shell, "llm logs tiny")
    assert "no log lines for tiny (only a fine-tuning writes a log)" in capsys.readouterr().out
    data = await line(shell, "llm metrics tiny")
    out = capsys.readouterr().out
    assert data["metrics"] == [] and "no metrics for tiny (only a fine-tuning records them" in out

    await line(shell, "llm delete tiny")
    out = capsys.readouterr().out
    assert out.startswith(f"would delete LLM model tiny ({stored['id']}, TRAINED)") and "llm delete tiny --yes" in out
    assert (await run(client.get_llm_model, "tiny"))["id"] == stored["id"]  # still there
    await line(shell, "llm delete tiny --yes")
    assert f"deleted LLM model tiny ({stored['id']}, TRAINED)" in capsys.readouterr().out
    assert "tiny" not in [m["name"] for m in await run(client.list_llm_models)]
    assert await line(shell, "llm show tiny") is None
    err = capsys.readouterr().err
    assert "tiny" in err and "Traceback" not in err


async def test_prompt_templates_through_the_magic(shell, magics, client, capsys):
    # IPython reads {x} on a magic's line as a Python value ({{ as {): a placeholder on the line is written {{{{x}}}};
    # the cell is taken as it is
    made = await cell(shell, 'llm template-create greet --description "greets" --system-prompt "You are {{{{persona}}}}."',
                      "Hello {{name}},\nwelcome to {{place}}.\n")
    assert made["template"] == "Hello {{name}},\nwelcome to {{place}}."  # the cell's text, its outer newlines dropped
    assert "prompt template greet" in capsys.readouterr().out
    assert sorted(made["variables"]) == ["name", "persona", "place"]
    one_line = await line(shell, 'llm template-create short --template "Summarise: {{{{text}}}}"')
    assert one_line["template"] == "Summarise: {{text}}" and one_line["variables"] == ["text"]
    capsys.readouterr()

    shown = await line(shell, "llm template greet")
    out = capsys.readouterr().out
    assert shown["id"] == made["id"] and "template      greet" in out and "description   greets" in out
    assert "system prompt You are {{persona}}." in out

    rendered = await line(shell, 'llm render greet --var name=Ann --var "place=the lab" --var persona=a=guide')
    out = capsys.readouterr().out
    assert rendered["messages"] == [{"role": "system", "content": "You are a=guide."},
                                    {"role": "user", "content": "Hello Ann,\nwelcome to the lab."}]
    assert out == "[system]\nYou are a=guide.\n[user]\nHello Ann,\nwelcome to the lab.\n"
    assert await line(shell, "llm render greet --var name=Ann --var persona=x") is None  # place is missing
    err = capsys.readouterr().err
    assert "error: variables.place: the template needs variable 'place'" in err and "Traceback" not in err
    assert await line(shell, "llm render greet --var nameAnn") is None
    assert "expected KEY=VALUE" in capsys.readouterr().err

    changed = await line(shell, 'llm template-update greet --new-name hello --template "Hi {{{{name}}}}" --description d2')
    assert "prompt template hello updated: variables" in capsys.readouterr().out
    stored = await run(client.get_prompt_template, made["id"])
    assert (stored["name"], stored["template"], stored["description"]) == ("hello", "Hi {{name}}", "d2")
    assert stored["system_prompt"] == "You are {{persona}}." and changed["name"] == "hello"
    assert await line(shell, "llm template-update hello") is None
    assert "give --template (or a cell)" in capsys.readouterr().err
    assert await line(shell, "llm template-create empty") is None
    assert "--template TEXT (or the text in the cell)" in capsys.readouterr().err

    await line(shell, "llm template-delete hello")
    assert capsys.readouterr().out.startswith(f"would delete prompt template hello ({made['id']});")
    assert len(await run(client.list_prompt_templates)) == 2
    await line(shell, "llm template-delete hello --yes")
    assert f"deleted prompt template hello ({made['id']})" in capsys.readouterr().out
    assert [t["name"] for t in await run(client.list_prompt_templates)] == ["short"]


async def test_llm_usage_errors_submit_nothing(shell, magics, client, tiny_llama, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the cell's JSONL is written next to the notebook
    cases = {
        "llm load": "%easymaker llm load NAME",
        "llm register x": "--path PATH",
        "finetune stop": "%easymaker finetune stop NAME",
        "finetune --base tiny": "--base MODEL --name NAME --data",
        "llm frobnicate": "invalid choice",
        "finetune --lora-r x --base tiny": "argument --lora-r",
    }
    for text, message in cases.items():
        assert await line(shell, text) is None
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (text, err)
    await line(shell, f"llm register tiny --path {tiny_llama}")
    capsys.readouterr()
    # the server's validation: one line naming the field
    assert await cell(shell, "finetune --base tiny --name ft --lora-alpha 0", '{"prompt": "a", "response": "b"}') is None
    assert capsys.readouterr().err.startswith("error: lora.alpha:")
    assert await cell(shell, "finetune --base tiny --name ft --qlora", '{"prompt": "a", "response": "b"}') is None
    err = capsys.readouterr().err
    assert err.startswith("error: method:") and "QLoRA" in err
    assert list(await run(client.list_llm_models, type="fine-tuned")) == []


async def test_finetune_cell_stop_and_restart_through_the_magic(shell, magics, client, tiny_llama, capsys, tmp_path,
                                                                monkeypatch):
    monkeypatch.chdir(tmp_path)  # the cell's JSONL is written next to the notebook
    await line(shell, f"llm register tiny --path {tiny_llama}")
    rows = "\n".join(json.dumps({"prompt": f"greet {n}", "response": f"HELLO {n}"}) for n in range(12))
    started = await cell(shell, "finetune --base tiny --name tiny-sft --lora-r 4 --lora-alpha 8 --lora-dropout 0 "
                                "--target-modules q_proj,v_proj --epochs 1 --lr 1e-3 --batch-size 1 --max-steps 300 "
                                "--validation-split 0.25 --seed 3 --no-wait", rows)
    assert started["status"] == "TRAINING" and started["finetune"]["lora"]["target_modules"] == ["q_proj", "v_proj"]
    assert started["finetune"]["training"]["max_steps"] == 300 and started["finetune"]["validation_split"] == 0.25
    written = started["finetune"]["data_path"]
    assert written.startswith(str(tmp_path)) and written.endswith(".jsonl")
    with open(written) as fh:  # noqa: ASYNC230 - a small local file
        assert fh.read().count("\n") == 12
    assert "fine-tuning tiny-sft of tiny: TRAINING" in capsys.readouterr().out

    await wait_for(client, "tiny-sft", lambda m: (m["progress"] or {}).get("step", 0) >= 2, timeout=180)
    stopped = await line(shell, "finetune stop tiny-sft")
    assert stopped["status"] == "TRAINING" and "stopping" in stopped["status_reason"]
    cancelled = await wait_for(client, "tiny-sft", lambda m: m["status"] != "TRAINING", timeout=60)
    assert cancelled["status"] == "TRAINING CANCELLED", cancelled["status_reason"]
    capsys.readouterr()

    # restart follows the run to its end with the live view (text lines in a bare shell)
    done = await line(shell, "finetune restart tiny-sft")
    out = capsys.readouterr().out
    assert done["status"] == "TRAINED", done["status_reason"]
    assert done["result"]["resumed_from_step"] == cancelled["progress"]["checkpoint_step"]
    assert "tiny-sft: TRAINING" in out and "tokens/s" in out and "loss" in out and "tiny-sft: TRAINED" in out

    # the fine-tuning's log and its loss series through %easymaker llm
    page = await line(shell, "llm logs tiny-sft")
    out = capsys.readouterr().out
    assert page["records"] and out == "\n".join(r["body"] for r in page["records"]) + "\n"
    data = await line(shell, "llm metrics tiny-sft")
    out = capsys.readouterr().out
    loss = next(m for m in data["metrics"] if m["name"] == "loss")
    assert len(loss["values"]) >= 2 and out.startswith("METRIC")
    row = next(r for r in out.splitlines() if r.startswith("loss "))
    from jupyter_easymaker.magics.formatting import sparkline

    assert sparkline(loss["values"]) in row and f"{loss['last']:.6g}" in row  # the trend and the last value
    assert row.split()[-1] == str(len(loss["values"]))


def test_the_live_view_draws_progress_and_the_loss_chart():
    from jupyter_easymaker.areas.llm.magics import FinetuneView, svg_chart

    model = {"name": "m", "status": "TRAINING", "progress": {"percent": 42.0, "step": 42, "total_steps": 100, "eta_s": 12,
                                                              "tokens_per_s": 812.3, "loss": 1.5, "eval_loss": 1.7}}
    text = FinetuneView.text(model)
    assert "42.0% (step 42/100)" in text and "ETA 12 s" in text and "812.3 tokens/s" in text and "loss 1.5000" in text
    assert "eval loss 1.7000" in text
    chart = svg_chart([(1, 2.0), (2, 1.5), (3, 1.0)])
    assert chart.startswith("<svg") and "polyline" in chart and "loss 1.0000" in chart
    assert svg_chart([(1, 2.0)]) == ""  # one point is no curve

    import ipywidgets

    view = FinetuneView(ipywidgets)
    view.update(model, None)
    view.update({**model, "progress": {**model["progress"], "step": 50, "loss": 1.2, "percent": 50.0}}, None)
    assert view.bar.value == 50.0 and "50.0%" in view.label.value and "polyline" in view.chart.value
    view.close({**model, "status": "TRAINED", "status_reason": "done"})
    assert view.label.value == "m: TRAINED done"
