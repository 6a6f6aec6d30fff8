"""Datasets: where raw images come from (`sources`) and the tf.data input pipelines (`pipelines`)."""
