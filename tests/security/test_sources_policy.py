"""Issue 13, attack 5: a pipeline's source reaching the network or reading text files. Only the operator's schemes
(rtsp, rtsps, http, https by default) and hosts open; a local file must be a video; the app's Run page opens the
pipeline's own file only inside the footage folders."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from ui_support import as_user

from blocks.sources.stream import StreamConfig, StreamSource
from blocks.sources.video_file import VideoFile, VideoFileConfig
from workbench.core.errors import BlockError
from workbench.core.i18n import t
from workbench.engine.spec import load_spec, parse_spec, save_spec

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def listener():
    """A TCP port that records whether anybody connected (what a port probe through FFmpeg's tcp:// would do)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    yield server.getsockname()[1], server
    server.close()


def _connected(server: socket.socket) -> bool:
    try:
        conn, _ = server.accept()
    except (TimeoutError, OSError):
        return False
    conn.close()
    return True


@pytest.mark.parametrize("scheme", ["tcp", "ftp", "udp", "file"])
def test_other_schemes_are_refused_before_anything_is_opened(listener, scheme, operator_policy):
    port, server = listener
    operator_policy()
    with pytest.raises(BlockError) as err:
        VideoFile(VideoFileConfig(path=f"{scheme}://127.0.0.1:{port}/x"), node_id="cam").open()
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("source_scheme_not_in_policy", "cam", "path")
    assert "stream_schemes" in problem.message("en")
    assert not _connected(server)


def test_a_stream_host_outside_the_operator_list_is_refused(listener, operator_policy):
    port, server = listener
    operator_policy(stream_hosts=["10.0.0.0/8", "*.cams.city.gov"])
    with pytest.raises(BlockError) as err:
        StreamSource(StreamConfig(url=f"rtsp://127.0.0.1:{port}/live"), node_id="gate").open()
    assert (err.value.problems[0].code, err.value.problems[0].field) == ("source_host_not_in_policy", "url")
    assert not _connected(server)


def test_a_text_file_is_not_played_as_video(tmp_path, operator_policy):
    operator_policy()
    secret = tmp_path / "keys.asc"
    secret.write_text("-----BEGIN PGP PRIVATE KEY BLOCK-----\n")
    with pytest.raises(BlockError) as err:
        VideoFile(VideoFileConfig(path=str(secret)), node_id="cam").open()
    assert err.value.problems[0].code == "source_not_video_file"


def _run_page() -> None:
    from workbench.apps.ui.pages.run import run_page

    run_page()


def test_the_run_page_opens_a_pipeline_file_only_inside_the_footage_folders(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.delenv("WORKBENCH_FOOTAGE_DIRS", raising=False)
    (home / "pipelines").mkdir(parents=True)
    outside = tmp_path / "elsewhere" / "clip.mp4"
    data = load_spec(REPO / "pipelines" / "vehicle_count_line.yaml").to_dict()
    data["nodes"][0]["config"]["path"] = str(outside)  # written on another machine, or typed by hand
    spec = home / "pipelines" / "p.yaml"
    save_spec(parse_spec(data), spec)
    at = as_user(AppTest.from_function(_run_page, default_timeout=60))
    at.session_state["lang"] = "en"
    at.run()
    at.selectbox(key="run_pipeline_select").set_value(str(spec)).run()
    at.radio(key="run_clip_kind").set_value("pipeline").run()
    assert not at.exception, at.exception
    assert t("app.run.pipeline_source_outside", "en", path=str(outside)) in [e.value for e in at.error]
    assert at.button(key="run_start").disabled
