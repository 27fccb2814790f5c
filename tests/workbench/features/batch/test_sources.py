"""Which clips a batch runs and what their result folders are called; user errors before anything starts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from services.ports import free_ports

from workbench.core.errors import WorkbenchError
from workbench.features.batch import BatchOptions, run_batch
from workbench.features.batch.__main__ import main
from workbench.features.batch.cluster import check_reachable, parse_address
from workbench.features.batch.sources import expand_sources, unique_names

PIPELINE = Path(__file__).resolve().parents[4] / "pipelines" / "vehicle_count_line.yaml"


def _codes(exc: pytest.ExceptionInfo[WorkbenchError]) -> list[tuple[str, str | None]]:
    return [(p.code, p.field) for p in exc.value.problems]


def test_folders_expand_to_their_videos_and_repeated_stems_get_numbered(tmp_path: Path) -> None:
    for rel in ("a/cam.mp4", "a/notes.txt", "a/gate.AVI", "b/cam.mp4", "b/CAM.mkv"):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    clips = expand_sources([str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "a" / "cam.mp4")],
                           check_local=True)
    assert [c.name for c in clips] == ["cam", "gate", "CAM-2", "cam-3"]  # notes.txt skipped; a/cam.mp4 once
    assert clips[0].source == str((tmp_path / "a" / "cam.mp4").resolve())
    assert [c.name for c in unique_names(["rtsp://host/live/cam", "/x/cam.mp4", "/y/c a+m.mp4"])] == \
        ["cam", "cam-2", "c_a_m"]


def test_missing_sources_are_named_before_ray_starts(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(WorkbenchError) as exc:
        expand_sources([str(tmp_path / "nope.mp4"), str(tmp_path / "empty")], check_local=True)
    assert _codes(exc) == [("batch_source_missing", "SOURCES"), ("batch_folder_empty", "SOURCES")]
    with pytest.raises(WorkbenchError) as exc:
        expand_sources([], check_local=True)
    assert _codes(exc) == [("batch_no_sources", "SOURCES")]
    # on a cluster the nodes may see storage this machine does not: the path is passed on as given
    assert expand_sources(["/mnt/footage/x.mp4"], check_local=False)[0].source == "/mnt/footage/x.mp4"


@pytest.mark.parametrize("address", ["auto", "ray://10.0.0.5:10001", "10.0.0.5", "host:0", "host:99999", ":6379"])
def test_bad_addresses_are_refused(address: str) -> None:
    with pytest.raises(WorkbenchError) as exc:
        parse_address(address)
    assert _codes(exc) == [("batch_address_bad", "--ray-address")]


def test_an_unreachable_cluster_fails_in_seconds() -> None:
    (port,) = free_ports(1)
    began = time.monotonic()
    with pytest.raises(WorkbenchError) as exc:
        check_reachable(f"127.0.0.1:{port}")
    assert _codes(exc) == [("batch_address_unreachable", "--ray-address")]
    assert time.monotonic() - began < 5


def test_a_bad_pipeline_or_option_stops_the_batch_before_ray(tmp_path: Path) -> None:
    clip = tmp_path / "c.mp4"
    clip.write_bytes(b"x")
    broken = tmp_path / "p.yaml"
    broken.write_text(PIPELINE.read_text(encoding="utf-8").replace("tracking/bytetrack@v1", "tracking/nope@v1"),
                      encoding="utf-8")
    with pytest.raises(WorkbenchError) as exc:
        run_batch(broken, [str(clip)], BatchOptions(out_dir=tmp_path / "out"))
    assert ("unknown_block", "type") in _codes(exc)
    with pytest.raises(WorkbenchError) as exc:
        run_batch(PIPELINE, [str(clip)], BatchOptions(out_dir=tmp_path / "out", workers=0, retries=-1))
    assert _codes(exc) == [("batch_bad_workers", "--workers"), ("batch_bad_retries", "--retries")]
    assert not (tmp_path / "out").exists()


def test_cli_reports_user_errors_with_exit_code_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(PIPELINE), "--out", str(tmp_path / "o")]) == 1
    assert "SOURCES" in capsys.readouterr().err
    clip = tmp_path / "c.mp4"
    clip.write_bytes(b"x")
    assert main([str(PIPELINE), str(clip), "--ray-address", "auto", "--out", str(tmp_path / "o")]) == 1
    assert "--ray-address" in capsys.readouterr().err
