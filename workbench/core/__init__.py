"""The contract every other layer builds on: blocks, kinds, the block registry, errors and messages, events, frames,
paths and the operator's policy."""
