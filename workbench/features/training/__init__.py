"""Fine-tuning YOLO detectors on the user's own labeled clips, recorded in MLflow.

- `config.TrainConfig`: the no-code training form (base model, epochs, image size, augmentation, freezing).
- `dataset_check`: reads a YOLO `data.yaml`, computes the dataset version, turns bad input into Problems up front.
- `tracking`: the MLflow side (one run per training, per-epoch metrics, artifacts, Model Registry, aliases).
- `trainer`: `train()` (in process) and background training jobs under `<home>/training/<id>/`.
- `synthetic_dataset`: a YOLO dataset cut from synthetic clips, for tests and benchmarks.
- `cli_training`: the `workbench train` and `workbench models promote` subcommands.
"""
