"""Label configs for a class list (generated with label-studio-sdk's LabelInterface) and the class list read back."""

from __future__ import annotations

from typing import Literal

from label_studio_sdk.label_interface import LabelInterface

from workbench.core.errors import Problem, WorkbenchError

Kind = Literal["image", "video"]
IMAGE_KEY, BOX_CONTROL = "image", "label"
VIDEO_KEY, VIDEO_BOX, VIDEO_LABELS = "video", "box", "videoLabels"


def check_classes(classes: list[str]) -> list[str]:
    """The class list, stripped; an empty list, a blank or a repeated name is a user error."""
    names = [str(c).strip() for c in classes]
    if not names:
        raise WorkbenchError([Problem("labeling_no_classes", field="classes")])
    for name in names:
        if not name:
            raise WorkbenchError([Problem("labeling_blank_class", field="classes")])
        if names.count(name) > 1:
            raise WorkbenchError([Problem("labeling_duplicate_class", field="classes", params={"name": name})])
    return names


def _labels(classes: list[str]) -> tuple:
    return tuple(("Label", {"value": name, "category": str(i)}, ()) for i, name in enumerate(classes))


def label_config(classes: list[str], kind: Kind = "image", fps: float = 25.0) -> str:
    """The XML label config: boxes on an image, or box tracks on a video (`fps` = the clip's frame rate)."""
    classes = check_classes(classes)
    if kind == "image":
        tags = {IMAGE_KEY: "Image", BOX_CONTROL: ("RectangleLabels", {"toName": IMAGE_KEY}, _labels(classes))}
    else:
        tags = {
            VIDEO_KEY: ("Video", {"framerate": f"{fps:g}"}, ()),
            VIDEO_LABELS: ("Labels", {"toName": VIDEO_KEY, "allowEmpty": "true"}, _labels(classes)),
            VIDEO_BOX: ("VideoRectangle", {"toName": VIDEO_KEY}, ()),
        }
    return LabelInterface.create(tags)


def config_kind(config: str) -> Kind:
    """`video` when the config has a VideoRectangle, else `image`."""
    li = LabelInterface(config)
    return "video" if any(c.tag == "VideoRectangle" for c in li.controls) else "image"


def classes_from_config(config: str) -> list[str]:
    """The pinned class list of a config: labels ordered by their `category`; labels without one go last, in order."""
    li = LabelInterface(config)
    found: list[tuple[int, int, str]] = []
    for control in li.controls:
        attrs = getattr(control, "labels_attrs", None) or {}
        for pos, (name, label) in enumerate(attrs.items()):
            cat = (label.attr or {}).get("category")
            found.append((int(cat) if cat is not None and str(cat).isdigit() else 10**6 + pos, pos, name))
    seen: list[str] = []
    for _, _, name in sorted(found):
        if name not in seen:
            seen.append(name)
    return seen
