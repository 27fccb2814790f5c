"""Labeling with Label Studio: projects for a class list, frames + pre-annotations in, annotations out, YOLO datasets.

    from workbench.features.labeling.client import connect
    from workbench.features.labeling.projects import ensure_project, push_frames
    from workbench.features.labeling.pull import pull
    from workbench.features.labeling.dataset import build_dataset
    from workbench.features.labeling.teacher import open_teacher        # a model whose boxes pre-/pseudo-label
    from workbench.features.labeling.class_map import ClassMap          # its classes -> the project's (--map)
    from workbench.features.labeling.pseudo import pseudo_label         # a teacher labels library clips

Class ids are pinned: YOLO class id = position in the class list, written into the label config as
`<Label value=".." category="N"/>` so Label Studio's own exports agree.
"""
