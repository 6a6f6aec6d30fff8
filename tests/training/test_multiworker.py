"""Two worker processes on this machine train one run, as on two machines.

JAX processes joined from Keras' KERAS_DISTRIBUTION_* variables (on 127.0.0.1) with `--distribute
data-parallel`: both workers end with the same weights, only the chief writes the run folder, and a
worker killed mid-epoch ends the run with a clear error (not a hang) and a folder that `--resume`
finishes. TensorFlow's MultiWorkerMirroredStrategy (TF_CONFIG) fails inside Keras 3's `fit`
(keras-team/keras#20585): `--distribute mirrored` refuses a TF_CONFIG cluster with a clear error,
and a strict xfail test says when Keras fixes it."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTS = os.path.join(ROOT, "tests")
TIMEOUT = 600  # seconds a worker may take before the test calls it a hang

# Each worker trains through the library with two extra callbacks: one saves its final weights
# outside the run folder, one (when KILL_AT is set) SIGKILLs this worker in the middle of an epoch.
WORKER = """
    import os, signal, sys
    import keras, numpy as np
    from keras_resnet.errors import TrainingError
    from keras_resnet.training.config import TrainConfig
    from keras_resnet.training.fit import train

    class SaveWeights(keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            np.savez(os.environ["WEIGHTS_TO"], *[keras.ops.convert_to_numpy(w) for w in self.model.weights])

    class KillMidEpoch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            epoch, step = map(int, os.environ["KILL_AT"].split(":"))
            if self.epoch == epoch and batch == step:
                os.kill(os.getpid(), signal.SIGKILL)
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

    config = TrainConfig(**__import__("json").loads(sys.argv[2]))
    callbacks = [SaveWeights()] + ([KillMidEpoch()] if os.environ.get("KILL_AT") else [])
    try:
        train(config, out=sys.argv[1], resume=sys.argv[3] == "resume", verbose=0, extra_callbacks=callbacks)
    except TrainingError as err:
        print("TrainingError:", err, flush=True)
        sys.exit(3)
"""


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A small npz of 32x32 images whose class sets the brightness: a few steps per epoch."""
    rng = np.random.default_rng(0)

    def split(count):
        labels = np.arange(count) % 4
        images = rng.integers(0, 64, (count, 32, 32, 3)) + 48 * labels[:, None, None, None]
        return images.astype("uint8"), labels

    (x_train, y_train), (x_test, y_test) = split(144), split(32)
    path = tmp_path_factory.mktemp("data") / "four_levels.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return f"npz:{path}"


def _worker_envs(backend: str, workers: int) -> list[dict]:
    """The environment of each worker: TF_CONFIG or the KERAS_DISTRIBUTION_* variables."""
    base = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": os.pathsep.join([ROOT, TESTS]),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "OMP_NUM_THREADS": "1",  # one core per worker
        "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    }
    ports = _free_ports(workers)
    if backend == "tensorflow":
        cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
        return [
            {**base, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})}
            for i in range(workers)
        ]
    return [
        {
            **base,
            "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"127.0.0.1:{ports[0]}",
            "KERAS_DISTRIBUTION_NUM_PROCESSES": str(workers),
            "KERAS_DISTRIBUTION_PROCESS_ID": str(i),
            # A killed worker is declared lost after this many silent seconds (JAX's default: 100).
            "KERAS_RESNET_HEARTBEAT_TIMEOUT": "10",
        }
        for i in range(workers)
    ]


def _launch(tmp_path, backend, config, *, kill=None, resume=False):
    """Run two workers on one run folder; returns (run folder, [(returncode, log)] per worker)."""
    out = tmp_path / "run"
    commands = []
    for index, env in enumerate(_worker_envs(backend, 2)):
        env["WEIGHTS_TO"] = str(tmp_path / f"weights-{index}.npz")
        if kill is not None and index == 1:
            env["KILL_AT"] = kill
        mode = "resume" if resume else "new"
        commands.append(
            ([sys.executable, "-c", textwrap.dedent(WORKER), str(out), json.dumps(config), mode], env)
        )
    return out, _run_all(tmp_path, commands)


def _run_all(tmp_path, commands) -> list[tuple[int, str]]:
    """Start every (command, env) at once; wait for each, failing on one that outlives TIMEOUT."""
    logs = [tmp_path / f"worker-{index}.log" for index in range(len(commands))]
    with contextlib.ExitStack() as stack:
        processes = []
        for (command, env), log in zip(commands, logs):
            file = stack.enter_context(open(log, "w"))
            processes.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=file, stderr=file))
            stack.callback(processes[-1].wait)
            stack.callback(processes[-1].kill)
        for index, process in enumerate(processes):
            try:
                process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                pytest.fail(f"worker {index} hung:\n" + logs[index].read_text()[-3000:])
    return [(process.returncode, log.read_text()) for process, log in zip(processes, logs)]


def _config(dataset, backend, **options):
    return {
        "model": "resnet20",
        "dataset": dataset,
        "epochs": 1,
        "batch_size": 32,
        "distribute": "mirrored" if backend == "tensorflow" else "data-parallel",
        **options,
    }


@pytest.mark.slow
def test_two_jax_workers_end_with_the_same_weights_and_only_the_chief_writes_the_run(tmp_path, dataset):
    backend = "jax"
    out, results = _launch(tmp_path, backend, _config(dataset, backend))
    for code, log in results:
        assert code == 0, log[-3000:]
    chief, worker = (np.load(tmp_path / f"weights-{i}.npz") for i in range(2))
    assert len(chief.files) == len(worker.files) > 80  # ResNet-20: kernels, BN parameters and statistics
    for name in chief.files:
        np.testing.assert_array_equal(chief[name], worker[name])
    config = json.loads((out / "config.json").read_text())
    assert config["replicas"] == 2 and config["environment"]["backend"] == backend
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".worker")) == []  # worker cleaned up
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_trained"] == 1 and metrics["test"]["examples"] == 32


@pytest.mark.slow
def test_a_jax_worker_killed_mid_epoch_ends_the_run_with_a_clear_error_and_resume_finishes_it(
    tmp_path, dataset
):
    backend = "jax"
    config = _config(dataset, backend, epochs=2, model="tiny_model:tiny_resnet")
    out, results = _launch(tmp_path, backend, config, kill="1:1")
    (chief_code, chief_log), (worker_code, _) = results
    assert worker_code == -9  # the SIGKILL
    # The chief stops with our error; JAX's coordination service may then end the process itself
    # (SIGABRT, "Terminating process because the JAX distributed service detected fatal errors").
    assert chief_code in (3, -6), chief_log[-3000:]
    assert "TrainingError: lost contact with another worker" in chief_log, chief_log[-3000:]
    history = (out / "history.csv").read_text().splitlines()
    assert len(history) == 2 and not (out / "metrics.json").exists()  # epoch 1 of 2 kept, not finished

    # The folder resumes: on both workers again, it trains the missing epoch only.
    out, results = _launch(tmp_path, backend, config, resume=True)
    for code, log in results:
        assert code == 0, log[-3000:]
    assert json.loads((out / "metrics.json").read_text())["epochs_trained"] == 2


def test_the_heartbeat_timeout_is_jax_default_unless_set_and_must_be_whole_seconds(monkeypatch):
    from keras_resnet.errors import InvalidInputError
    from keras_resnet.training import distribution

    monkeypatch.delenv("KERAS_RESNET_HEARTBEAT_TIMEOUT", raising=False)
    assert distribution.heartbeat_timeout() == 100
    monkeypatch.setenv("KERAS_RESNET_HEARTBEAT_TIMEOUT", "7")
    assert distribution.heartbeat_timeout() == 7
    for bad in ("0", "1.5", "soon"):
        monkeypatch.setenv("KERAS_RESNET_HEARTBEAT_TIMEOUT", bad)
        with pytest.raises(InvalidInputError, match="KERAS_RESNET_HEARTBEAT_TIMEOUT must be a whole number"):
            distribution.heartbeat_timeout()


def test_mirrored_across_tf_config_workers_is_refused_with_a_clear_error(monkeypatch):
    from keras_resnet.training import distribution

    envs = _worker_envs("tensorflow", 2)
    monkeypatch.setenv("TF_CONFIG", envs[1]["TF_CONFIG"])
    assert distribution.is_multi_worker() and not distribution.is_chief()
    with pytest.raises(ValueError, match=r"keras-team/keras#20585.*--distribute data-parallel"):
        distribution.check_distribute("mirrored", backend="tensorflow")


KERAS_MULTI_WORKER_FIT = """
    import keras, numpy as np, tensorflow as tf
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    with strategy.scope():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
        model.compile("sgd", "sparse_categorical_crossentropy")
    data = tf.data.Dataset.from_tensor_slices((np.zeros((32, 4), "float32"), np.zeros(32, "int32")))
    model.fit(data.batch(8), epochs=1, verbose=0)
"""


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True, reason="keras-team/keras#20585: Keras 3 fit fails under MultiWorkerMirroredStrategy"
)
def test_keras_fit_under_multi_worker_mirrored_strategy(tmp_path):
    """Plain Keras, two TF_CONFIG workers: when this passes, Keras is fixed and `mirrored` may
    accept a TF_CONFIG cluster again."""
    command = [sys.executable, "-c", textwrap.dedent(KERAS_MULTI_WORKER_FIT)]
    results = _run_all(tmp_path, [(command, env) for env in _worker_envs("tensorflow", 2)])
    assert [code for code, _ in results] == [0, 0], results[0][1][-1500:]
