"""Label configs pin class ids: YOLO id = position in the class list, whatever the alphabet says."""

from __future__ import annotations

import pytest

from workbench.core.errors import WorkbenchError
from workbench.features.labeling.config import classes_from_config, config_kind, label_config


@pytest.mark.parametrize("kind", ["image", "video"])
def test_class_order_survives_the_config(kind):
    classes = ["truck", "car", "muck_truck", "渣土车"]
    config = label_config(classes, kind)
    assert classes_from_config(config) == classes
    assert config_kind(config) == kind
    for i, name in enumerate(classes):
        assert f'value="{name}" category="{i}"' in config


def test_labels_without_category_keep_their_place_after_pinned_ones():
    config = ('<View><Image name="image" value="$image"/><RectangleLabels name="label" toName="image">'
              '<Label value="zebra"/><Label value="bus" category="1"/><Label value="van" category="0"/>'
              '</RectangleLabels></View>')
    assert classes_from_config(config) == ["van", "bus", "zebra"]


@pytest.mark.parametrize(("classes", "code"), [
    ([], "labeling_no_classes"), (["car", " "], "labeling_blank_class"), (["car", "truck", "car"],
                                                                          "labeling_duplicate_class")])
def test_bad_class_lists_are_refused(classes, code):
    with pytest.raises(WorkbenchError) as err:
        label_config(classes)
    assert err.value.problems[0].code == code
