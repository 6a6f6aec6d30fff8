"""Training on several devices: `mirrored` (tf.distribute, TensorFlow backend) and `data-parallel`
(keras.distribution, JAX backend). Both replicate the model and split each global batch.

`mirrored` uses MirroredStrategy on one machine (Keras 3's `fit` fails under TensorFlow's
MultiWorkerMirroredStrategy, so a TF_CONFIG cluster of several workers is refused). `data-parallel`
uses `keras.distribution.DataParallel` over `keras.distribution.list_devices()`; with Keras'
`KERAS_DISTRIBUTION_JOB_ADDRESSES`, `KERAS_DISTRIBUTION_NUM_PROCESSES` and
`KERAS_DISTRIBUTION_PROCESS_ID` set, it first joins the JAX processes of several machines
(`jax.distributed.initialize`, read from the same variables as `keras.distribution.initialize`) and
each process reads its own share of every batch. Every process runs the same command; only the
chief (process 0) writes the run folder, the others work in a scratch folder they remove when they
finish. `KERAS_RESNET_HEARTBEAT_TIMEOUT` (seconds, JAX's default 100) sets how long the others wait
on a silent process before they stop with a clear error.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator

from keras_resnet._utils.validation import check_choice
from keras_resnet.errors import InvalidInputError, TrainingError

CHOICES = ("mirrored", "data-parallel")
LOST_PEER_ERRORS = ("JaxRuntimeError", "XlaRuntimeError")
"""What a collective raises in a JAX process when another process of the job has gone away."""
BACKEND_OF = {"mirrored": "tensorflow", "data-parallel": "jax"}


def check_distribute(kind: str | None, *, backend: str) -> None:
    """Fail early (before any file is written) when `kind` does not fit the Keras backend."""
    if kind is None:
        return
    check_choice("--distribute", kind, CHOICES)
    needed = BACKEND_OF[kind]
    if backend != needed:
        raise InvalidInputError(
            f"--distribute {kind} needs the {needed} backend but Keras runs on {backend}; "
            f"set KERAS_BACKEND={needed}"
        )
    if kind == "mirrored" and is_multi_worker():
        raise InvalidInputError(
            "--distribute mirrored across several workers (TF_CONFIG) fails inside Keras 3's fit "
            "(keras-team/keras#20585); train on several machines with KERAS_BACKEND=jax and "
            "--distribute data-parallel, setting KERAS_DISTRIBUTION_JOB_ADDRESSES, "
            "KERAS_DISTRIBUTION_NUM_PROCESSES and KERAS_DISTRIBUTION_PROCESS_ID on each"
        )


def tf_config() -> dict:
    """TF_CONFIG as a dict ({} when unset or empty): the cluster and this process's task."""
    return json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")


def is_multi_worker() -> bool:
    cluster = tf_config().get("cluster", {})
    return sum(len(tasks) for tasks in cluster.values()) > 1


def jax_processes() -> int:
    """How many JAX processes train together (Keras' KERAS_DISTRIBUTION_NUM_PROCESSES; 1 unset)."""
    return int(os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES") or 1)


def jax_process_id() -> int:
    return int(os.environ.get("KERAS_DISTRIBUTION_PROCESS_ID") or 0) if jax_processes() > 1 else 0


def process_shard(kind: str | None) -> tuple[int, int]:
    """(this process, processes) among the JAX processes that split each batch; (0, 1) alone."""
    return (jax_process_id(), jax_processes()) if kind == "data-parallel" else (0, 1)


def task_index() -> int:
    if jax_processes() > 1:
        return jax_process_id()
    return int(tf_config().get("task", {}).get("index", 0))


def is_chief() -> bool:
    """True unless this process is a JAX process other than 0, or TF_CONFIG names it a non-chief
    worker (worker 0 is chief without one)."""
    if jax_processes() > 1:
        return jax_process_id() == 0
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

        strategy = tf.distribute.MirroredStrategy()
        with strategy.scope():
            yield strategy.num_replicas_in_sync
    else:
        import keras

        several = jax_processes() > 1
        if several and not _joined:
            _join_jax_processes()
            _joined.append(True)
        devices = keras.distribution.list_devices()
        # Several processes: each feeds its own share of a batch (the NumPy pipeline's shard).
        with keras.distribution.DataParallel(devices=devices, auto_shard_dataset=not several).scope():
            try:
                yield len(devices)
            except Exception as err:
                if several and type(err).__name__ in LOST_PEER_ERRORS:
                    raise TrainingError(
                        f"lost contact with another worker ({str(err).splitlines()[0][:200]}); "
                        "training stopped. The run folder keeps the last completed epoch: start "
                        "every worker again with the same command and --resume"
                    ) from None
                raise


_joined: list = []  # a process joins the JAX cluster once
HEARTBEAT_TIMEOUT_VARIABLE = "KERAS_RESNET_HEARTBEAT_TIMEOUT"


def heartbeat_timeout() -> int:
    """Seconds without a heartbeat after which JAX declares a process of the job lost (JAX's 100
    unless KERAS_RESNET_HEARTBEAT_TIMEOUT says otherwise)."""
    value = os.environ.get(HEARTBEAT_TIMEOUT_VARIABLE) or "100"
    if not value.isdigit() or int(value) < 1:
        raise InvalidInputError(
            f"{HEARTBEAT_TIMEOUT_VARIABLE} must be a whole number of seconds >= 1, got {value!r}"
        )
    return int(value)


def _join_jax_processes() -> None:
    """Join the JAX processes named by Keras' KERAS_DISTRIBUTION_* variables, as
    `keras.distribution.initialize` does, with our heartbeat timeout (Keras passes none). The
    caller has seeded Keras (`train` does), so every process draws the same initial weights."""
    import jax

    coordinator = os.environ["KERAS_DISTRIBUTION_JOB_ADDRESSES"].split(",")[0]
    jax.distributed.initialize(
        coordinator_address=coordinator,
        num_processes=jax_processes(),
        process_id=jax_process_id(),
        heartbeat_timeout_seconds=heartbeat_timeout(),
    )


@contextlib.contextmanager
def process_local():
    """Outside the data-parallel distribution for the duration (across several JAX processes,
    `predict` on the same data in every process gives whole, fetchable outputs only there)."""
    if jax_processes() == 1:
        yield
        return
    from keras import distribution

    previous = distribution.distribution()
    distribution.set_distribution(None)
    try:
        yield
    finally:
        distribution.set_distribution(previous)


def pipeline_for(kind: str | None, pipeline: str) -> str:
    """The input pipeline to ask for: tf.distribute shards tf.data itself, so `mirrored` keeps it;
    several JAX processes each take their share of a batch, which only the NumPy pipeline does."""
    if kind == "mirrored" and pipeline == "auto":
        return "tfdata"
    if kind == "mirrored" and pipeline == "numpy" and is_multi_worker():
        raise InvalidInputError(
            "--distribute mirrored across workers needs --pipeline tfdata (tf.distribute shards it)"
        )
    if kind == "data-parallel" and jax_processes() > 1:
        if pipeline == "tfdata":
            raise InvalidInputError(
                "several JAX processes need --pipeline numpy (each reads its share of a batch)"
            )
        return "numpy"
    return pipeline


def device_names() -> list[str]:
    """The devices Keras computes on, as text for the run's config.json.

    Keras' distribution API has no PyTorch implementation (`keras.distribution.list_devices()`
    fails there), so on PyTorch the devices come from torch: its GPUs, else the CPU.
    """
    import keras

    if keras.backend.backend() == "torch":
        import torch

        return [f"cuda:{index}" for index in range(torch.cuda.device_count())] or ["cpu:0"]
    return [str(device) for device in keras.distribution.list_devices()]
