"""Tiny YOLO datasets from synthetic clips and a fresh workbench home per test (embedded MLflow, no server)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workbench.features.training.synthetic_dataset import build_synthetic_dataset


@pytest.fixture(scope="session")
def tiny_dataset_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~20 train images (traffic clip, seed 0) and ~10 val images (demo clip, seed 1), 640x360; built once."""
    out = tmp_path_factory.mktemp("tiny_dataset")
    build_synthetic_dataset(out, train=[("traffic", 0)], val=[("demo", 1)], every=25, max_images_per_clip=None)
    for extra in sorted((out / "images" / "val").iterdir())[10:]:  # keep validation short
        extra.unlink()
        (out / "labels" / "val" / f"{extra.stem}.txt").unlink()
    return out


def copy_dataset(source: Path, target: Path) -> Path:
    """A private copy (tests change files); data.yaml's `path` points at the copy."""
    shutil.copytree(source, target)
    text = (target / "data.yaml").read_text(encoding="utf-8").replace(str(source.resolve()), str(target.resolve()))
    (target / "data.yaml").write_text(text, encoding="utf-8")
    return target / "data.yaml"


@pytest.fixture
def tiny_dataset(tiny_dataset_source: Path, tmp_path: Path) -> Path:
    """data.yaml of a private copy of the tiny dataset."""
    return copy_dataset(tiny_dataset_source, tmp_path / "dataset")


@pytest.fixture(scope="session")
def trained_look_pt(untrained_pt: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`untrained_pt` whose backbone BatchNorm statistics moved, as any training moves them: a base whose backbone
    counts as trained (training.quality.backbone_untrained is False), so freezing it is kept."""
    import torch

    from workbench.models.zoo import safe_checkpoint

    ckpt = safe_checkpoint(untrained_pt)
    model = ckpt.get("ema") or ckpt["model"]
    generator = torch.Generator().manual_seed(0)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.copy_(0.1 * torch.randn(module.running_mean.shape, generator=generator))
            module.running_var.copy_(1 + 0.1 * torch.rand(module.running_var.shape, generator=generator))
    path = tmp_path_factory.mktemp("weights") / "looks_trained.pt"
    torch.save(ckpt, path)
    return path
