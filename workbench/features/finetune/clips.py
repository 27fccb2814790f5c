"""The clip library: videos staff import (a path on the server or an upload) with metadata, thumbnail and tags.

Layout, under the workbench home:

```
clips/<clip_id>/clip.json       # the Clip record (see `Clip`)
clips/<clip_id>/thumbnail.jpg   # the middle frame, at most THUMB_WIDTH pixels wide
clips/<clip_id>/video.<ext>     # the video itself when copied (default); a referenced clip points at the original
```

A clip id is `<file name slug>-<first 10 hex of the file's sha256>`: lowercase ASCII, digits and dashes, so the same
file always gets the same id (importing it again returns the clip already there) and the id is safe in paths and URLs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Literal

import av
import cv2
from pydantic import BaseModel, ConfigDict, Field

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.paths import workbench_home
from workbench.models.zoo import sha256_of
from workbench.records import audit
from workbench.records.roles import Actor, Permission, require

CLIP_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
THUMB_WIDTH = 320
_STAGING = ".staging-"


class Clip(BaseModel):
    """One video of the library and what is known about it."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(..., pattern=CLIP_ID_PATTERN)
    name: str
    original_path: str = Field(..., description="Where it was imported from (upload: the uploaded file name)")
    stored: Literal["copied", "referenced"] = "copied"
    video_file: str = Field("", description="File name inside the clip folder when copied")
    sha256: str
    size_bytes: int
    duration_s: float
    fps: float
    frame_count: int
    width: int
    height: int
    codec: str = ""
    camera: str = ""
    site: str = ""
    tags: list[str] = Field(default_factory=list)
    imported_at: str = Field(..., description="ISO 8601 time of the import, UTC")

    def folder(self, root: Path | None = None) -> Path:
        return (root or clips_dir()) / self.id

    def video_path(self, root: Path | None = None) -> Path:
        """The file to read frames from: the copy in the clip folder, or the referenced original."""
        return self.folder(root) / self.video_file if self.stored == "copied" else Path(self.original_path)

    def thumbnail_path(self, root: Path | None = None) -> Path:
        return self.folder(root) / "thumbnail.jpg"


def clips_dir() -> Path:
    return workbench_home() / "clips"


def _problem(code: str, /, field: str | None = "path", **params: object) -> WorkbenchError:
    return WorkbenchError([Problem(code=code, field=field, params=params)])


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-")
    return slug or "clip"


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags stripped, empty ones dropped, duplicates removed (first kept), order kept."""
    return list(dict.fromkeys(t.strip() for t in tags if t and t.strip()))


def _probe(path: Path, shown: str) -> dict:
    """Duration, fps, frame count, size and codec of the first video stream; a non-video is `clip_not_video`."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise _problem("clip_not_video", path=shown, detail="no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.base_rate or stream.guessed_rate
            fps = float(rate) if rate else 0.0
            frames = int(stream.frames or 0)
            if frames <= 0:  # the container does not say: count the packets (no decoding)
                frames = sum(1 for packet in container.demux(stream) if packet.size)
            info = {"fps": fps, "frame_count": frames, "width": int(stream.codec_context.width),
                    "height": int(stream.codec_context.height), "codec": stream.codec_context.name or ""}
    except av.error.FFmpegError as exc:
        raise _problem("clip_not_video", path=shown, detail=exc.strerror or type(exc).__name__) from exc
    if fps <= 0 or info["width"] <= 0 or info["height"] <= 0:
        raise _problem("clip_not_video", path=shown, detail="no frame rate or frame size")
    if frames < 2:
        raise _problem("clip_too_short", path=shown, frames=frames)
    info["duration_s"] = round(frames / fps, 3)
    return info


def _write_thumbnail(video: Path, frame_count: int, target: Path, shown: str) -> None:
    """Decode the middle frame (the first one if seeking fails) and save it small; undecodable is `clip_not_video`."""
    cap = cv2.VideoCapture(str(video))
    try:
        image = None
        if cap.isOpened():
            cap.set(cv2.CAP_PROP_POS_FRAMES, frame_count // 2)
            ok, image = cap.read()
            if not ok:
                cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, image = cap.read()
                image = image if ok else None
    finally:
        cap.release()
    if image is None:
        raise _problem("clip_not_video", path=shown, detail="no frame could be decoded")
    h, w = image.shape[:2]
    if w > THUMB_WIDTH:
        image = cv2.resize(image, (THUMB_WIDTH, max(1, round(h * THUMB_WIDTH / w))), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(target), image, [cv2.IMWRITE_JPEG_QUALITY, 85])


class ClipLibrary:
    """The clips under `root` (default: `<workbench home>/clips`)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else clips_dir()

    # -- reading ---------------------------------------------------------------------------------------------------
    def list(self) -> list[Clip]:
        """Every clip, newest import first."""
        clips = []
        if self.root.is_dir():
            for meta in self.root.glob("*/clip.json"):
                if meta.parent.name.startswith(_STAGING):
                    continue
                try:
                    clips.append(Clip.model_validate_json(meta.read_text(encoding="utf-8")))
                except (OSError, ValueError):  # a damaged record hides one clip, not the library
                    continue
        return sorted(clips, key=lambda c: (c.imported_at, c.id), reverse=True)

    def get(self, clip_id: str) -> Clip:
        """The clip `clip_id`; an unknown (or malformed) id is a `clip_unknown` problem."""
        meta = self.root / clip_id / "clip.json"
        if not re.match(CLIP_ID_PATTERN, clip_id or "") or not meta.is_file():
            known = ", ".join(c.id for c in self.list()[:10]) or "(none)"
            raise _problem("clip_unknown", field="clip", clip=clip_id, known=known)
        return Clip.model_validate_json(meta.read_text(encoding="utf-8"))

    def video_path(self, clip: Clip | str) -> Path:
        """The clip's video file; a referenced original that was moved or deleted is a `clip_video_missing` problem."""
        clip = self.get(clip) if isinstance(clip, str) else clip
        path = clip.video_path(self.root)
        if not path.is_file():
            raise _problem("clip_video_missing", field="clip", clip=clip.id, path=str(path))
        return path

    def thumbnail_path(self, clip_id: str) -> Path:
        return self.get(clip_id).thumbnail_path(self.root)

    # -- changing --------------------------------------------------------------------------------------------------
    def import_clip(self, path: str | Path, name: str | None = None, camera: str = "", site: str = "",
                    tags: Iterable[str] = (), copy: bool = True, actor: Actor | None = None) -> Clip:
        """Add a video file to the library (copied into it, or referenced where it is) for `actor` (clips.edit; None:
        the OS user) and return its record. The same file imported again returns the clip already there, unchanged.
        """
        actor = require(actor, Permission.CLIPS_EDIT)
        src = Path(path).expanduser()
        if not src.is_file():
            raise _problem("clip_missing", path=str(src))
        return self._recorded(actor, self._add(src, str(src.resolve()), name or src.stem, camera, site, tags, copy))

    def import_bytes(self, data: bytes | BinaryIO, filename: str, name: str | None = None, camera: str = "",
                     site: str = "", tags: Iterable[str] = (), actor: Actor | None = None) -> Clip:
        """Add an uploaded video (its bytes or a file object, and the name it was uploaded with) for `actor`."""
        actor = require(actor, Permission.CLIPS_EDIT)
        self.root.mkdir(parents=True, exist_ok=True)
        suffix = Path(filename).suffix.lower()[:10]
        fd, tmp_name = tempfile.mkstemp(prefix=".upload-", suffix=suffix, dir=self.root)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as f:
                if isinstance(data, (bytes, bytearray, memoryview)):
                    f.write(data)
                else:
                    shutil.copyfileobj(data, f)
            return self._recorded(actor, self._add(tmp, filename, name or Path(filename).stem, camera, site, tags,
                                                   copy=True, shown=filename))
        finally:
            tmp.unlink(missing_ok=True)

    def update(self, clip_id: str, name: str | None = None, camera: str | None = None, site: str | None = None,
               tags: Iterable[str] | None = None) -> Clip:
        """Change a clip's name, camera, site or tags (None leaves a field as it is); return the new record."""
        clip = self.get(clip_id)
        changes = {k: v for k, v in {"name": name, "camera": camera, "site": site}.items() if v is not None}
        if tags is not None:
            changes["tags"] = clean_tags(tags)
        clip = clip.model_copy(update=changes)
        self._write_meta(clip, self.root / clip.id)
        return clip

    def remove(self, clip_id: str, actor: Actor | None = None) -> None:
        """Delete the clip's folder (its copy of the video too) for `actor` (clips.edit); a referenced original is
        never touched. Recorded as `clip.remove`."""
        actor = require(actor, Permission.CLIPS_EDIT)
        clip = self.get(clip_id)
        shutil.rmtree(clip.folder(self.root))
        audit.record(actor, "clip.remove", clip.id, before={"name": clip.name, "sha256": clip.sha256})

    @staticmethod
    def _recorded(actor: Actor, clip: Clip) -> Clip:
        audit.record(actor, "clip.import", clip.id, after={"name": clip.name, "sha256": clip.sha256})
        return clip

    # -- internals -------------------------------------------------------------------------------------------------
    def _add(self, src: Path, original: str, name: str, camera: str, site: str, tags: Iterable[str], copy: bool,
             shown: str | None = None) -> Clip:
        shown = shown or str(src)
        digest = sha256_of(src)
        clip_id = f"{_slug(Path(original).stem)}-{digest[:10]}"
        if (self.root / clip_id / "clip.json").is_file():
            return self.get(clip_id)
        info = _probe(src, shown)
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f"{_STAGING}{uuid.uuid4().hex[:12]}"
        staging.mkdir()
        try:
            video_file = ""
            if copy:
                video_file = "video" + (Path(original).suffix.lower()[:10] or ".mp4")
                shutil.copyfile(src, staging / video_file)
            _write_thumbnail(staging / video_file if copy else src, info["frame_count"], staging / "thumbnail.jpg",
                             shown)
            clip = Clip(id=clip_id, name=name, original_path=original, stored="copied" if copy else "referenced",
                        video_file=video_file, sha256=digest, size_bytes=src.stat().st_size, camera=camera, site=site,
                        tags=clean_tags(tags), imported_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        **info)
            self._write_meta(clip, staging)
            try:
                os.rename(staging, self.root / clip_id)
            except OSError:  # imported at the same moment by someone else
                if (self.root / clip_id / "clip.json").is_file():
                    return self.get(clip_id)
                raise
            return clip
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    @staticmethod
    def _write_meta(clip: Clip, folder: Path) -> None:
        tmp = folder / "clip.json.part"
        tmp.write_text(json.dumps(clip.model_dump(), ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, folder / "clip.json")


def import_clip(path: str | Path, name: str | None = None, camera: str = "", site: str = "",
                tags: Iterable[str] = (), copy: bool = True) -> Clip:
    """`ClipLibrary().import_clip(...)` in the current workbench home."""
    return ClipLibrary().import_clip(path, name=name, camera=camera, site=site, tags=tags, copy=copy)
