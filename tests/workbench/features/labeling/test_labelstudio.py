"""Against a real Label Studio server (started by tests/services/labelstudio.py): projects, pre-annotations,
annotations made through the API as a labeler would, incremental pulls, and YOLO datasets whose labels equal the boxes.
The server's outbound HTTP(S) goes through a local trap (HTTP(S)_PROXY at start), so a test can show it reaches nothing
outside this machine.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import cv2
import httpx
import numpy as np
import psutil
import pytest
import yaml
from services.labelstudio import RunningLabelStudio, labelstudio_server

from workbench.core.errors import WorkbenchError
from workbench.features.labeling.boxes import Box
from workbench.features.labeling.client import connect
from workbench.features.labeling.config import classes_from_config
from workbench.features.labeling.dataset import build_dataset
from workbench.features.labeling.projects import ClipRef, FrameRef, ensure_project, push_clips, push_frames
from workbench.features.labeling.pull import pull
from workbench.features.synth import get, render_frames
from workbench.media.video_io import H264Writer

pytestmark = pytest.mark.slow
CLASSES = ["truck", "car"]  # alphabetical order would give car=0: ids must follow this list
# (clip, frame index in the synthetic clip, file suffix, labeled boxes in pixels: class, x1, y1, x2, y2)
FRAMES = [("cam1", 40, ".png", [("truck", 100, 80, 260, 200), ("car", 400, 150, 470, 190)]),
          ("cam1", 80, ".jpg", [("car", 0, 10, 64, 50)]),
          ("cam2", 120, ".png", [("truck", 320, 180, 640, 360)]),
          ("cam2", 160, ".jpg", [])]


class OutboundTrap:
    """A local listener standing in for every proxy: records the first line of each connection (e.g. `CONNECT
    raw.githubusercontent.com:443`) and closes it. Bounded: it serves until stopped, one short read per connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    first = conn.recv(1024).split(b"\r\n")[0]
                except OSError:
                    first = b"?"
                self.requests.append(first.decode("latin-1"))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture(scope="module")
def outbound() -> Iterator[OutboundTrap]:
    trap = OutboundTrap()
    yield trap
    trap.stop()


@pytest.fixture(scope="module")
def labelstudio(tmp_path_factory: pytest.TempPathFactory, outbound: OutboundTrap) -> Iterator[RunningLabelStudio]:
    """One server for this module, started with HTTP(S)_PROXY at the trap (requests, which Label Studio uses, honours
    them); the test process's own environment is restored once the server runs."""
    work = tmp_path_factory.mktemp("labelstudio")
    with ExitStack() as stack:
        with pytest.MonkeyPatch.context() as mp:
            for var in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
                mp.setenv(var, outbound.url)
            for var in ("NO_PROXY", "no_proxy"):
                mp.setenv(var, "127.0.0.1,localhost,::1")
            ls = stack.enter_context(labelstudio_server(work / "home", work / "root"))
        yield ls


def _write_frames(root):
    wanted = {f for _, f, _, _ in FRAMES}
    images = {}
    for i, img in enumerate(render_frames(get("traffic"), 0)):
        if i in wanted:
            images[i] = img
        if i >= max(wanted):
            break
    refs = []
    for clip, index, suffix, _ in FRAMES:
        path = root / "frames" / clip / f"{index:06d}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), images[index])
        refs.append(FrameRef(path, clip, index))
    return refs


def _labeler_result(boxes, width, height):
    """What the labeling page sends: rectangles in percent of the image."""
    return [{"from_name": "label", "to_name": "image", "type": "rectanglelabels", "original_width": width,
             "original_height": height, "image_rotation": 0,
             "value": {"x": x1 / width * 100, "y": y1 / height * 100, "width": (x2 - x1) / width * 100,
                       "height": (y2 - y1) / height * 100, "rotation": 0, "rectanglelabels": [cls]}}
            for cls, x1, y1, x2, y2 in boxes]


def _check_labels(info, boxes_by_name, width, height):
    for name, boxes in boxes_by_name.items():
        files = list(info.path.glob(f"labels/*/{name}.txt"))
        assert len(files) == 1, name
        lines = [line.split() for line in files[0].read_text().splitlines()]
        assert len(lines) == len(boxes)
        for line, (cls, x1, y1, x2, y2) in zip(sorted(lines), sorted(boxes, key=lambda b: CLASSES.index(b[0])),
                                               strict=True):
            assert int(line[0]) == CLASSES.index(cls)
            expected = [(x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (x2 - x1) / width, (y2 - y1) / height]
            assert [float(v) for v in line[1:]] == pytest.approx(expected, abs=1e-6)


def test_image_project_push_label_pull_and_yolo_dataset(labelstudio, tmp_path):
    ls = labelstudio
    client = connect(ls.url, ls.token)
    project = ensure_project(client, "site A muck trucks", CLASSES)
    refs = _write_frames(ls.document_root)

    def model(image):  # a stand-in for the current model: one car and one box of a class outside the list
        return [Box("car", 10, 20, 110, 80, score=0.7), Box("bus", 0, 0, 5, 5, score=0.9)]

    pushed = push_frames(client, project, refs, model, "synthetic@abc123", document_root=ls.document_root)
    assert len(pushed.created) == 4 and pushed.predictions == 4
    assert push_frames(client, project, refs, model, "x", document_root=ls.document_root).skipped == pushed.created

    tasks = {t.data["source"]: t for t in client.tasks.list(project=project.id, fields="all")}
    assert len(tasks) == 4
    for t in tasks.values():
        (pred,) = t.predictions
        assert pred.model_version == "synthetic@abc123"
        assert [r["value"]["rectanglelabels"] for r in pred.result] == [["car"]]
        served = httpx.get(ls.url + t.data["image"], headers={"Authorization": f"Token {ls.token}"})
        assert served.status_code == 200
        assert served.content == (ls.document_root / t.data["source"]).read_bytes()

    height, width = cv2.imread(str(refs[0].path)).shape[:2]
    by_source = {}
    for ref, (clip, index, _suffix, boxes) in zip(refs, FRAMES, strict=True):
        task = tasks[ref.path.relative_to(ls.document_root).as_posix()]
        client.annotations.create(id=task.id, result=_labeler_result(boxes, width, height), lead_time=4.2)
        by_source[f"{clip}__{index:06d}"] = (task, boxes)

    first = pull(client, project, tmp_path / "store")
    assert sorted(first.new) == sorted(t.id for t in tasks.values()) and not first.changed
    info = build_dataset([first.store], out_root=tmp_path / "datasets", document_root=ls.document_root)
    assert yaml.safe_load((info.path / "data.yaml").read_text())["names"] == {0: "truck", 1: "car"}
    assert {info.train_clips[0], info.val_clips[0]} == {"cam1", "cam2"}
    _check_labels(info, {name: boxes for name, (_, boxes) in by_source.items()}, width, height)

    nothing = pull(client, project, tmp_path / "store")
    assert not (nothing.new or nothing.changed or nothing.removed)

    task, boxes = by_source["cam1__000080"]  # the labeler moves one box
    moved = [("car", 4, 10, 68, 50)]
    (ann,) = client.tasks.get(id=str(task.id)).annotations
    client.annotations.update(id=ann["id"], result=_labeler_result(moved, width, height))
    second = pull(client, project, tmp_path / "store")
    assert second.changed == [task.id] and not second.new
    info2 = build_dataset([second.store], out_root=tmp_path / "datasets", document_root=ls.document_root)
    assert info2.version != info.version
    _check_labels(info2, {"cam1__000080": moved}, width, height)

    gone, _ = by_source["cam2__000160"]  # the labeler deletes an annotation: its frame leaves the dataset
    (ann,) = client.tasks.get(id=str(gone.id)).annotations
    client.annotations.delete(id=ann["id"])
    third = pull(client, project, tmp_path / "store")
    assert third.removed == [gone.id] and not (third.new or third.changed)
    info3 = build_dataset([third.store], out_root=tmp_path / "datasets", document_root=ls.document_root)
    assert not list(info3.path.glob("labels/*/cam2__000160.txt")) and sum(info3.images.values()) == 3

    with pytest.raises(WorkbenchError) as err:  # ids are pinned: no reordering
        ensure_project(client, "site A muck trucks", ["car", "truck"])
    assert err.value.problems[0].code == "labelstudio_classes_pinned"
    grown = ensure_project(client, "site A muck trucks", [*CLASSES, "muck_truck"])
    assert grown.id == project.id
    assert classes_from_config(client.projects.get(id=project.id).label_config) == [*CLASSES, "muck_truck"]


def _square_video(path, frames=20, size=(160, 96), fps=10.0):
    """A white square moving 4 px right per frame on black, so a cut frame shows which frame it is."""
    with H264Writer(path, fps, size, crf=10) as w:
        for i in range(frames):
            img = np.zeros((size[1], size[0], 3), np.uint8)
            img[40:56, 8 + 4 * i: 24 + 4 * i] = 255
            w.write(img)


def test_video_project_tracks_become_per_frame_labels(labelstudio, tmp_path):
    ls = labelstudio
    client = connect(ls.url, ls.token)
    video = ls.document_root / "clips" / "gate.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    _square_video(video)
    project = ensure_project(client, "gate tracks", CLASSES, kind="video", fps=10)
    assert push_clips(client, project, [ClipRef(video, "gate")], document_root=ls.document_root).created
    (task,) = client.tasks.list(project=project.id, fields="all")

    def key(frame, x, enabled=True):  # percent of 160x96, as the video page records keyframes (frames from 1)
        return {"frame": frame, "enabled": enabled, "rotation": 0, "x": x / 160 * 100, "y": 40 / 96 * 100,
                "width": 16 / 160 * 100, "height": 16 / 96 * 100, "time": frame / 10}

    track = {"from_name": "box", "to_name": "video", "type": "videorectangle", "origin": "manual", "value": {
        "framesCount": 20, "duration": 2.0, "labels": ["car"],
        "sequence": [key(1, 8), key(11, 48), key(15, 64, enabled=False)]}}
    client.annotations.create(id=task.id, result=[track])
    store = pull(client, project, tmp_path / "store").store
    info = build_dataset([store], out_root=tmp_path / "datasets", document_root=ls.document_root)
    assert info.images == {"train": 20, "val": 0}
    assert {w.code for w in info.warnings} == {"dataset_no_val_clip", "dataset_class_without_boxes"}  # no truck
    for i in range(20):
        lines = (info.path / "labels" / "train" / f"gate__f{i:06d}.txt").read_text().split()
        img = cv2.imread(str(info.path / "images" / "train" / f"gate__f{i:06d}.jpg"), cv2.IMREAD_GRAYSCALE)
        square_x = int(np.argmax(img[48] > 128))
        assert abs(square_x - (8 + 4 * i)) <= 1, f"frame {i} was cut from the wrong place"
        if i > 14:
            assert lines == [], f"track ended at frame 15 (index 14) but frame {i} has a box"
            continue
        assert int(lines[0]) == 1
        x = 8 + 4 * i  # the keyframes sit on the square; in between it moves linearly, as interpolation does
        assert [float(v) for v in lines[1:]] == pytest.approx([(x + 8) / 160, 48 / 96, 16 / 160, 16 / 96], abs=1e-6)


def test_wrong_token_is_a_clear_problem(labelstudio):
    with pytest.raises(WorkbenchError) as err:
        connect(labelstudio.url, "0" * 40)
    (problem,) = err.value.problems
    assert problem.code == "labelstudio_bad_token"
    assert problem.params["url"] == labelstudio.url and "0" * 40 not in str(problem.params)


def test_the_local_server_is_found_without_settings(labelstudio, monkeypatch):
    """As after `workbench labelstudio start`: no URL, no token in the environment; server.json + token file."""
    monkeypatch.setenv("WORKBENCH_HOME", str(labelstudio.workbench_home))
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    client = connect()
    assert client.users.whoami().email == "admin@localhost"
    token_file = labelstudio.workbench_home / "labelstudio" / "token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert labelstudio.token not in labelstudio.log_file.read_text(encoding="utf-8", errors="replace")


def test_push_with_a_registered_model_counts_only_tasks_with_boxes(labelstudio, untrained_pt, tmp_path,
                                                                    monkeypatch, capsys):
    """The labeler's case: `labelstudio push --model models:/NAME@champion` (refused before: "unknown model") with a
    model that finds nothing of the project's classes: 0 tasks with pre-annotations, and the CLI says why."""
    from workbench.apps.cli import main
    from workbench.features.training.tracking import Tracking, TrainingRecord, embedded_uri, promote

    ls = labelstudio
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls.token)
    monkeypatch.setenv("WORKBENCH_LANG", "en")
    (tmp_path / "model").mkdir()
    shutil.copyfile(untrained_pt, tmp_path / "model" / "best.pt")
    record = TrainingRecord(Tracking(embedded_uri(), True), "site")  # as a training registers its best.pt
    record.start({}, {})
    promote("site", record.register(tmp_path / "model", "site", {}))
    frames = ls.document_root / "frames" / "cam9"
    frames.mkdir(parents=True, exist_ok=True)
    for i in range(3):
        cv2.imwrite(str(frames / f"{i:06d}.png"), np.full((96, 160, 3), 40 * i, np.uint8))
    code = main(["labelstudio", "push", str(frames), "--project", "model pre-labels", "--classes", "truck,car",
                 "--model", "models:/site@champion", "--url", ls.url, "--document-root", str(ls.document_root)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "3 new task(s), 0 already there, 0 with pre-annotations (0 boxes)" in out.out
    assert "labelstudio.--model" in out.err and "site/v1@" in out.err  # found nothing / only other classes
    client = connect(ls.url, ls.token)
    project = next(p for p in client.projects.list() if p.title == "model pre-labels")
    assert all(not t.predictions for t in client.tasks.list(project=project.id, fields="all"))


class _ConnectionWatcher:
    """Samples the TCP/UDP sockets of the server's processes every few ms; keeps remote addresses off loopback."""

    def __init__(self, port: int) -> None:
        listening = {c.pid for c in psutil.net_connections("tcp") if c.laddr and c.laddr.port == port
                     and c.status == psutil.CONN_LISTEN}
        self.processes = [psutil.Process(pid) for pid in listening if pid]
        self.processes += [child for p in list(self.processes) for child in p.children(recursive=True)]
        self.remote: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            for proc in self.processes:
                try:
                    conns = proc.net_connections(kind="inet")
                except psutil.Error:
                    continue
                self.remote |= {f"{c.raddr.ip}:{c.raddr.port}" for c in conns
                                if c.raddr and not c.raddr.ip.startswith(("127.", "::1", "::ffff:127."))}
            time.sleep(0.005)

    def __enter__(self) -> _ConnectionWatcher:
        assert self.processes, "the server's process was not found"
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def test_page_loads_reach_nothing_outside_this_machine(labelstudio, outbound):
    """Issue 15: every login/home page load made the server fetch "live tips" from raw.githubusercontent.com. Load
    the pages and what their scripts ask the server for (the live tips) as the browser does: nothing may go out,
    neither through the proxy trap nor as a socket to a non-loopback address."""
    ls = labelstudio
    creds = json.loads((ls.workbench_home / "labelstudio" / "credentials.json").read_text(encoding="utf-8"))
    with _ConnectionWatcher(ls.port) as watcher, httpx.Client(base_url=ls.url, trust_env=False, timeout=30) as web:
        login = web.get("/user/login/")
        assert login.status_code == 200 and "/heidi-tips" in login.text  # the page's script asks for live tips
        for path in ("/heidi-tips", "/heidi-tips/"):
            tips = web.get(path)  # answered here, as an offline server would after failing: 404, {}
            assert tips.status_code == 404 and tips.json() == {}
        signed_in = web.post("/user/login/", data={"email": creds["username"], "password": creds["password"],
                                                   "csrfmiddlewaretoken": web.cookies.get("csrftoken", "")},
                             headers={"Referer": ls.url + "/user/login/"})
        assert signed_in.status_code == 302
        for path in ("/projects/", "/user/account/", "/heidi-tips/"):
            assert web.get(path).status_code in (200, 404)
    assert outbound.requests == []
    assert watcher.remote == set()
    log = ls.log_file.read_text(encoding="utf-8", errors="replace")
    assert "using settings 'workbench_offline_settings'" in log


def test_nanodet_pre_labels_real_pixels_and_the_labelers_corrections_win_over_its_pseudo_labels(
        labelstudio, vtest_video, tmp_path, monkeypatch, capsys):
    """The teacher's round trip on a real server: `push --model nanodet-m-416 --map` pre-labels real-pixel frames of a
    library clip, the labeler keeps one frame's boxes and corrects another, `dataset pseudo` labels the clip with the
    same teacher, and `dataset build --pseudo` keeps the labeler's boxes where both exist."""
    from real_clip_support import real_clip

    from workbench.apps.cli import main
    from workbench.features.finetune import sampling
    from workbench.features.finetune.clips import ClipLibrary

    ls = labelstudio
    home = ls.document_root / "teacher-home"  # the frames must be under the server's document root
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls.token)
    monkeypatch.setenv("WORKBENCH_LANG", "en")
    clip = ClipLibrary().import_clip(real_clip(tmp_path, seconds=2.2)[0])
    sampling.extract(sampling.uniform(clip, every_s=1.0))  # frames 0, 25, 50, as the Clips page saves them
    teach = ["--map", "car=car,truck=van,bus=bus", "--conf", "0.35"]
    code = main(["labelstudio", "push", str(home / "frames" / clip.id), "--project", "street teacher",
                 "--classes", "car,van,bus", "--model", "nanodet-m-416", *teach, "--url", ls.url,
                 "--document-root", str(ls.document_root)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "3 new task(s), 0 already there, 3 with pre-annotations (8 boxes)" in out.out
    client = connect(ls.url, ls.token)
    project = next(p for p in client.projects.list() if p.title == "street teacher")
    tasks = {t.data["frame"]: t for t in client.tasks.list(project=project.id, fields="all")}
    assert sorted(tasks) == [0, 25, 50]
    assert {t.predictions[0].model_version.split("@")[0] for t in tasks.values()} == {"nanodet-m-416"}
    kept = tasks[0].predictions[0].result  # frame 0: the labeler accepts the pre-labels; frame 25: one box
    client.annotations.create(id=tasks[0].id, result=kept)
    client.annotations.create(id=tasks[25].id, result=_labeler_result([("car", 10, 20, 110, 80)], 768, 576))
    assert main(["labelstudio", "pull", "--project", "street teacher", "--url", ls.url]) == 0
    assert "2 new" in capsys.readouterr().out
    assert main(["dataset", "pseudo", clip.id, "--teacher", "nanodet-m-416", "--project", "street teacher",
                 "--url", ls.url, *teach, "--json"]) == 0
    part = json.loads(capsys.readouterr().out)
    assert part["classes"] == ["car", "van", "bus"] and part["pseudo"]["mapping"]["truck"] == "van"
    assert main(["dataset", "build", "--project", "street teacher", "--url", ls.url, "--pseudo", part["version"],
                 "--val-fraction", "0", "--document-root", str(ls.document_root), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["pseudo"]["replaced_by_human"] == 2 and info["pseudo"]["images"] == {"train": 1, "val": 0}
    labels = {p.stem: p.read_text().splitlines() for p in (Path(info["path"]) / "labels" / "train").iterdir()}
    assert sorted(labels) == [f"{clip.id}__000000", f"{clip.id}__000025", f"{clip.id}__000050_pseudo"]
    assert len(labels[f"{clip.id}__000000"]) == 2 and len(labels[f"{clip.id}__000050_pseudo"]) == 3
    (corrected,) = labels[f"{clip.id}__000025"]
    assert corrected.split()[0] == "0" and float(corrected.split()[1]) == pytest.approx(60 / 768, abs=1e-6)
