"""The GPU suite: ResNet-50 training at full speed on JAX (bf16 + XLA) against torchvision.

On the JAX backend, Keras' own stateless API (`model.stateless_call`,
`optimizer.stateless_apply`) makes one `jax.jit`-compiled training step, fed a synthetic batch that
already sits on the device, so the figure is the model's speed, not the input pipeline's or
`fit`'s. torchvision's resnet50 runs in its own subprocess the way a PyTorch user would tune it
(channels_last, bf16 autocast, torch.compile). Model-FLOPs utilisation (MFU) = images/s x 3 x MACs
x 2 / the GPU's dense bf16 peak (forward + backward ~ 3 forward passes; one MAC = 2 FLOPs). With
no GPU the full suite is recorded as skipped; `--quick` runs the same code on CPU JAX with a tiny
batch so CI exercises it.
"""

from __future__ import annotations

import importlib.util
import time
from typing import Any

from keras_resnet.errors import InvalidInputError

PEAK_BF16_TFLOPS = {  # dense (no sparsity) bf16 tensor-core peaks from NVIDIA's data sheets
    "H100 PCIe": 756.0,
    "H100 SXM": 989.0,
    "H100": 989.0,  # "NVIDIA H100 80GB HBM3" is the SXM part
    "H200": 989.0,
    "A100": 312.0,
}
CASES = {
    "full": [
        {
            "name": "resnet50_batch128",
            "model": "resnet50",
            "image_size": 224,
            "classes": 1000,
            "batch_size": 128,
            "steps": 20,
            "repeats": 5,
            "warmup": 3,
        },
        {
            "name": "resnet50_batch256",
            "model": "resnet50",
            "image_size": 224,
            "classes": 1000,
            "batch_size": 256,
            "steps": 20,
            "repeats": 5,
            "warmup": 3,
        },
        {
            "name": "resnet20_batch512",
            "model": "resnet20",
            "image_size": 32,
            "classes": 10,
            "batch_size": 512,
            "steps": 50,
            "repeats": 5,
            "warmup": 3,
        },
    ],
    "quick": [
        {
            "name": "resnet20_batch4",
            "model": "resnet20",
            "image_size": 32,
            "classes": 10,
            "batch_size": 4,
            "steps": 1,
            "repeats": 1,
            "warmup": 1,
        },
    ],
}


def peak_bf16_flops(gpu_name: str) -> float | None:
    """Dense bf16 peak FLOP/s of a GPU by (a part of) its name, or None when not in the table."""
    upper = gpu_name.upper()
    for key in sorted(PEAK_BF16_TFLOPS, key=len, reverse=True):  # "H100 PCIe" before "H100"
        if all(part.upper() in upper for part in key.split()):
            return PEAK_BF16_TFLOPS[key] * 1e12
    return None


def model_flops_utilisation(images_per_second: float, macs: int, peak_flops: float | None) -> float | None:
    """Training MFU: images/s x 3 (forward + backward) x MACs x 2 FLOPs / peak FLOP/s."""
    if not peak_flops or not images_per_second or not macs:
        return None
    return images_per_second * 3 * macs * 2 / peak_flops


def jax_training(
    *,
    name: str,
    model: str,
    image_size: int,
    classes: int,
    batch_size: int,
    steps: int,
    repeats: int,
    warmup: int,
    mixed_precision: str = "mixed_bfloat16",
    require_gpu: bool = True,
) -> dict:
    """Images/s of a jitted Keras training step on JAX (run under KERAS_BACKEND=jax)."""
    import jax
    import keras

    from benchmarks.timing import summarise, synthetic_batch
    from keras_resnet.models.complexity import model_stats
    from keras_resnet.models.named import build

    if keras.backend.backend() != "jax":
        raise InvalidInputError(f"the GPU suite runs on KERAS_BACKEND=jax, not {keras.backend.backend()}")
    device = jax.devices()[0]
    if require_gpu and device.platform != "gpu":
        raise InvalidInputError(f"JAX sees no GPU (first device: {device}); install jax[cuda12]")
    keras.config.set_dtype_policy(mixed_precision)
    keras.utils.set_random_seed(0)
    net = build(model, input_shape=(image_size, image_size, 3), classes=classes)
    stats = model_stats(net)
    optimizer = keras.optimizers.SGD(0.1, momentum=0.9)
    optimizer.build(net.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    def loss_and_state(trainable, non_trainable, x, y):
        predictions, non_trainable = net.stateless_call(trainable, non_trainable, x, training=True)
        return loss_fn(y, predictions), non_trainable

    gradient = jax.value_and_grad(loss_and_state, has_aux=True)

    @jax.jit
    def train_step(state, x, y):
        trainable, non_trainable, optimizer_state = state
        (loss, non_trainable), grads = gradient(trainable, non_trainable, x, y)
        trainable, optimizer_state = optimizer.stateless_apply(optimizer_state, grads, trainable)
        return loss, (trainable, non_trainable, optimizer_state)

    state = (
        [v.value for v in net.trainable_variables],
        [v.value for v in net.non_trainable_variables],
        [v.value for v in optimizer.variables],
    )
    images, labels = synthetic_batch((image_size, image_size, 3), batch_size=batch_size, classes=classes)
    x, y = jax.device_put(images / 255.0, device), jax.device_put(labels, device)

    def run(n):
        nonlocal state
        start = time.perf_counter()
        for _ in range(n):
            loss, state = train_step(state, x, y)
        loss.block_until_ready()
        return time.perf_counter() - start

    warmup_seconds = run(warmup)  # includes XLA compilation
    seconds = [run(steps) for _ in range(repeats)]
    summary = summarise(seconds, images=steps * batch_size, warmup_seconds=warmup_seconds)
    print(f"{name}: {summary['images_per_second']:.1f} images/s on {device}", flush=True)
    return {
        "name": name,
        "implementation": f"keras_resnet {model} (Keras {keras.__version__}, JAX)",
        "model": model,
        "device": str(device),
        "dtype_policy": mixed_precision,
        "jit": "jax.jit (XLA)",
        "batch_size": batch_size,
        "input": [image_size, image_size, 3],
        "macs": stats["macs"],
        "params": stats["params"],
        **summary,
    }


def torchvision_training(
    *,
    name: str,
    batch_size: int,
    image_size: int,
    steps: int,
    repeats: int,
    warmup: int,
    compile: bool = True,
) -> dict:
    """Images/s of torchvision's resnet50: channels_last, bf16 autocast, torch.compile, SGD 0.9."""
    import torch
    import torchvision

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(0)
    model = torchvision.models.resnet50().to(device).to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    forward = torch.compile(model) if compile else model
    x = torch.randn(batch_size, 3, image_size, image_size, device=device)
    x = x.to(memory_format=torch.channels_last)
    y = torch.randint(0, 1000, (batch_size,), device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device, dtype=torch.bfloat16):
            loss = torch.nn.functional.cross_entropy(forward(x), y)
        loss.backward()
        optimizer.step()

    def run(n):
        start = time.perf_counter()
        for _ in range(n):
            step()
        if device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    from benchmarks.timing import summarise

    warmup_seconds = run(warmup)
    seconds = [run(steps) for _ in range(repeats)]
    summary = summarise(seconds, images=steps * batch_size, warmup_seconds=warmup_seconds)
    print(f"{name}: {summary['images_per_second']:.1f} images/s on {device}", flush=True)
    return {
        "name": name,
        "implementation": f"torchvision {torchvision.__version__} resnet50 (torch {torch.__version__})",
        "device": device,
        "dtype": "bf16 autocast",
        "jit": "torch.compile" if compile else "eager",
        "memory_format": "channels_last",
        "batch_size": batch_size,
        "input": [image_size, image_size, 3],
        **summary,
    }


def gpu_suite(*, quick: bool, gpus: list[str], run_job, timeout: float) -> dict:
    """Every CASES entry on JAX, torchvision beside the ResNet-50 ones, MFU where the peak is known.

    `gpus` are the NVIDIA GPU names found (`machine.gpu_names()`); `run_job` is `worker.run_job`.
    """
    if not gpus and not quick:
        return {
            "status": "skipped",
            "reason": "no NVIDIA GPU on this machine (nvidia-smi is absent "
            "or lists none): run `python -m benchmarks --suite gpu` on a GPU machine",
        }
    if importlib.util.find_spec("jax") is None:
        return {"status": "skipped", "reason": "jax is not installed (pip install 'jax[cuda12]')"}
    gpu = gpus[0] if gpus else None
    peak = peak_bf16_flops(gpu) if gpu else None
    report: dict[str, Any] = {
        "status": "done",
        "gpu": gpu or "none: --quick ran the code path on CPU JAX (not a GPU figure)",
        "peak_bf16_flops": peak,
        "peak_note": None
        if peak
        else ("no GPU" if not gpu else f"{gpu} is not in PEAK_BF16_TFLOPS: MFU left out"),
        "keras": {},
        "torchvision": {},
        "ratios_keras_vs_torchvision": {},
    }
    for case in CASES["quick" if quick else "full"]:
        result = run_job(
            "jax_training", backend="jax", timeout=timeout, options={**case, "require_gpu": not quick}
        )
        if result.get("status") == "done":
            result["mfu"] = model_flops_utilisation(result["images_per_second"], result["macs"], peak)
        report["keras"][case["name"]] = result
    torch_missing = [p for p in ("torch", "torchvision") if importlib.util.find_spec(p) is None]
    for case in CASES["quick" if quick else "full"]:
        if case["model"] != "resnet50":
            continue
        if torch_missing:
            report["torchvision"][case["name"]] = {
                "status": "skipped",
                "reason": f"{' and '.join(torch_missing)} not installed",
            }
            continue
        options = {k: case[k] for k in ("name", "batch_size", "image_size", "steps", "repeats", "warmup")}
        result = run_job("torchvision_training", backend="torch", timeout=timeout, options=options)
        if result.get("status") == "done":
            ours = report["keras"][case["name"]]
            result["macs"] = ours.get("macs")  # the same v1.5 graph as keras_resnet's resnet50
            result["mfu"] = model_flops_utilisation(result["images_per_second"], result["macs"], peak)
            ours = ours.get("images_per_second")
            report["ratios_keras_vs_torchvision"][case["name"]] = (
                ours / result["images_per_second"] if ours else None
            )
        report["torchvision"][case["name"]] = result
    if not any(case["model"] == "resnet50" for case in CASES["quick" if quick else "full"]):
        report["torchvision_note"] = "--quick times no ResNet-50, so torchvision is not run"
    return report
