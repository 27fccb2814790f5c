"""Few-clip fine-tuning: clip library, frame sampling, labeling, datasets, training and evaluation (issue 4)."""
