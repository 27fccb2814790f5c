"""Every problem a sink raises reads as a sentence in English and Chinese (table: workbench/messages.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from blocks.sinks.annotated_video import AnnotatedVideo
from blocks.sinks.events_file import EventsFile, EventsFileConfig
from blocks.sinks.snapshots import Snapshots
from blocks.sinks.webhook import Webhook, WebhookConfig
from blocks.sinks.work_order import WorkOrder, WorkOrderConfig
from workbench.core.block import StreamContext
from workbench.core.errors import BlockError


def raised(block, out: Path) -> BlockError:
    with pytest.raises(BlockError) as err:
        block.start(StreamContext(out_dir=out, source="s", fps=25.0, frame_size=(64, 48)))
    return err.value


def test_problem_texts(tmp_path, monkeypatch, operator_policy):
    monkeypatch.delenv("NO_SUCH_VAR_FOR_TEST", raising=False)
    operator_policy(webhook_hosts=["x.org", "y.org"], webhook_header_env=["NO_SUCH_VAR_FOR_TEST"])
    blocker = tmp_path / "file"
    blocker.write_text("")
    errors = [
        raised(EventsFile(EventsFileConfig(), "n"), blocker),
        raised(Webhook(WebhookConfig(url="ftp://x/"), "n"), tmp_path),
        raised(Webhook(WebhookConfig(url="http://x.org/", allowed_hosts=("y.org",)), "n"), tmp_path),
        raised(Webhook(WebhookConfig(url="http://z.org/"), "n"), tmp_path),
        raised(Webhook(WebhookConfig(url="http://y.org/", headers_env={"X-Key": "HOME"}), "n"), tmp_path),
        raised(Webhook(WebhookConfig(url="http://y.org/", allowed_hosts=("y.org",),
                                     headers_env={"X-Key": "NO_SUCH_VAR_FOR_TEST"}), "n"), tmp_path),
        raised(WorkOrder(WorkOrderConfig(database=str(tmp_path / "no" / "q.db")), "n"), tmp_path),
    ]
    for err in errors:
        problem = err.problems[0]
        for lang in ("en", "zh"):
            text = problem.message(lang)
            assert not text.startswith("problem.") and "{" not in text, (problem.code, lang, text)
    assert "x.org" in errors[2].problems[0].message("zh")


def test_block_titles_in_both_languages():
    for block in (EventsFile, AnnotatedVideo, Snapshots, Webhook, WorkOrder):
        for lang in ("en", "zh"):
            assert block.title(lang) and block.description(lang) != (block.__doc__ or "").strip().splitlines()[0]
    assert Webhook.title("zh") == "Webhook 推送"
