"""What staff do with pipelines: fine-tuning, labeling, training, evaluation, sharing, live streams, batch, synthetic
clips."""
