"""Videos are picked from allowed folders only: the operator's footage folders and the workbench's own."""

from __future__ import annotations

from workbench.core import footage


def test_only_videos_inside_the_footage_folders_are_allowed(tmp_path, monkeypatch):
    archive, elsewhere, home = tmp_path / "archive", tmp_path / "elsewhere", tmp_path / "home"
    for folder in (archive / "gate" / "2026-12", elsewhere, home / "uploads"):
        folder.mkdir(parents=True)
    clip = archive / "gate" / "2026-12" / "night.mp4"
    for path in (clip, archive / "notes.nfo", elsewhere / "x.mp4", home / "uploads" / "mine.avi",
                 archive / ".hidden.mp4"):
        path.write_bytes(b"0")
    monkeypatch.setenv(footage.FOOTAGE_DIRS_ENV, str(archive))
    assert footage.footage_dirs(home) == [archive.resolve(), (home / "uploads").resolve()]
    assert footage.videos_in(archive) == [clip]
    assert footage.allowed(clip, home) and footage.allowed(home / "uploads" / "mine.avi", home)
    assert not footage.allowed(archive / "notes.nfo", home), "a text file is no video"
    assert not footage.allowed(elsewhere / "x.mp4", home), "outside every footage folder"
    assert not footage.allowed(archive / ".." / "elsewhere" / "x.mp4", home), "'..' does not lead out"
    (archive / "link.mp4").symlink_to(elsewhere / "x.mp4")
    assert not footage.allowed(archive / "link.mp4", home), "a link does not lead out"
