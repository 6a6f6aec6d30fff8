"""Pretrained ImageNet weights: where each source publishes them, how its names map onto our layers,
and the models they build (with the source's preprocessing inside, so they take raw RGB pixels)."""
