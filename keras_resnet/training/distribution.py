"""Training on several devices: `mirrored` (tf.distribute, TensorFlow backend) and `data-parallel`
(keras.distribution, JAX backend). Both replicate the model and split each global batch.

`mirrored` uses MirroredStrategy on one machine and MultiWorkerMirroredStrategy when TF_CONFIG
describes a cluster of several workers (each runs the same command; only the chief writes the run
folder). `data-parallel` uses `keras.distribution.DataParallel` over `keras.distribution.list_devices()`.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator

from keras_resnet._utils.validation import check_choice

CHOICES = ("mirrored", "data-parallel")
BACKEND_OF = {"mirrored": "tensorflow", "data-parallel": "jax"}


def check_distribute(kind: str | None, *, backend: str) -> None:
    """Fail early (before any file is written) when `kind` does not fit the Keras backend."""
    if kind is None:
        return
    check_choice("--distribute", kind, CHOICES)
    needed = BACKEND_OF[kind]
    if backend != needed:
        raise ValueError(
            f"--distribute {kind} needs the {needed} backend but Keras runs on {backend}; "
            f"set KERAS_BACKEND={needed}"
        )


def tf_config() -> dict:
    """TF_CONFIG as a dict ({} when unset or empty): the cluster and this process's task."""
    return json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")


def is_multi_worker() -> bool:
    cluster = tf_config().get("cluster", {})
    return sum(len(tasks) for tasks in cluster.values()) > 1


def task_index() -> int:
    return int(tf_config().get("task", {}).get("index", 0))


def is_chief() -> bool:
    """True unless TF_CONFIG names this process a non-chief worker (worker 0 is chief without one)."""
    config = tf_config()
    task = config.get("task", {})
    if not task or not is_multi_worker():
        return True
    has_chief = "chief" in config.get("cluster", {})
    return task.get("type") == "chief" or (
        not has_chief and task.get("type") == "worker" and task.get("index", 0) == 0
    )


@contextlib.contextmanager
def distribution_scope(kind: str | None) -> Iterator[int]:
    """Yield the number of replicas; model building, compile and fit must happen inside."""
    if kind is not None:
        check_choice("--distribute", kind, CHOICES)
    if kind is None:
        yield 1
    elif kind == "mirrored":
        import tensorflow as tf

        if is_multi_worker():
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
        else:
            strategy = tf.distribute.MirroredStrategy()
        with strategy.scope():
            yield strategy.num_replicas_in_sync
    else:
        import keras

        devices = keras.distribution.list_devices()
        with keras.distribution.DataParallel(devices=devices).scope():
            yield len(devices)
