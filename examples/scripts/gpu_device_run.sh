#!/usr/bin/env bash
# Issue 18, part 2, in one call on a lent GPU machine (JAX + CUDA and PyTorch, no TensorFlow, no
# network): `python -m benchmarks --suite gpu` (ResNet-50 bf16 + XLA at batch 128 and 256 against
# torchvision's resnet50 with channels_last + bf16 autocast + torch.compile, ResNet-20 at batch 512,
# MFU against the GPU's dense bf16 peak), then `keras-resnet train` on JAX through the NumPy input
# pipeline: ResNet-56 on a generated npz dataset with --mixed-precision mixed_bfloat16, SIGKILLed
# after two epochs and resumed, then evaluated. Everything lands in $OUT (at most 8 files):
#   log.txt, environment.txt, bench/benchmarks.json, bench/BENCHMARKS.md, gpu_train.json, run.tar.gz
#
# Before the call, here (network): examples/scripts/gpu_device_wheels.sh   (Keras wheels -> .whl/)
# The call:  run(command="bash examples/scripts/gpu_device_run.sh", carry=[".whl"], timeout_s=540)
# A CPU rehearsal of the same steps at tiny sizes (no GPU needed):
#   OUT=/tmp/gpu-rehearsal PYTHON=python examples/scripts/gpu_device_run.sh --small
set -uo pipefail
cd "$(dirname "$0")/../.."
SMALL=0
[[ "${1:-}" == "--small" ]] && SMALL=1
OUT=${OUT:-$PWD/gpu-device-out}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=2

if ! "$PYTHON" -c "import keras" 2>/dev/null; then
    ls .whl/*.whl >/dev/null 2>&1 || { echo "no keras and no .whl/: run examples/scripts/gpu_device_wheels.sh first"; exit 2; }
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl || exit 2
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}

if [[ $SMALL == 1 ]]; then
    BENCH=(--quick) MODEL=resnet20 TRAIN=512 TEST=128 EPOCHS=4 BATCH=64 LIMIT=600
else
    BENCH=() MODEL=resnet56 TRAIN=25000 TEST=5000 EPOCHS=6 BATCH=256 LIMIT=240
fi

echo "== environment $(date -u +%FT%TZ)"
{
    date -u +%FT%TZ
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 || echo "no nvidia-smi"
    "$PYTHON" - <<'PY'
import platform
import jax, keras
print("python", platform.python_version(), "| keras", keras.__version__, "| jax", jax.__version__)
print("devices", jax.devices())
for name in ("torch", "torchvision", "tensorflow"):
    try:
        print(name, __import__(name).__version__)
    except Exception as err:  # absent, or present but broken: either way not used
        print(name, f"not importable ({type(err).__name__}: {err})"[:200])
PY
} > "$OUT/environment.txt" 2>&1
cat "$OUT/environment.txt"

echo "== bench --suite gpu $(date -u +%T)"
timeout 330 "$PYTHON" -m benchmarks --suite gpu "${BENCH[@]}" --out "$OUT/bench" --timeout 300
echo "bench exit $?"

echo "== dataset $(date -u +%T)"
DATA=/tmp/gpu-digits.npz
"$PYTHON" - "$DATA" "$TRAIN" "$TEST" <<'PY'
import sys
import numpy as np
from keras_resnet.data.digits import digits_arrays
from keras_resnet.data.pipelines import PAD_PIXELS
from keras_resnet.data.arrays import augment_batch

# The bundled digits, shifted and brightness-jittered into a CIFAR-sized set (32x32x3, 10 classes).
path, train, test = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
x, y, names = digits_arrays()
rng = np.random.default_rng(0)
order = rng.integers(0, len(x), train + test)
images = augment_batch(x[order], rng.integers(0, 2 * PAD_PIXELS + 1, (len(order), 2)),
                       np.zeros(len(order), bool), pad=PAD_PIXELS)
images = np.clip(images * rng.uniform(0.6, 1.0, (len(order), 1, 1, 3)), 0, 255).astype("uint8")
np.savez(path, x_train=images[:train], y_train=y[order[:train]], x_test=images[train:],
         y_test=y[order[train:]], class_names=np.array(names))
print(f"{path}: {train} training and {test} test images")
PY

echo "== train $MODEL, killed after 2 epochs, resumed $(date -u +%T)"
RUN=/tmp/gpu-run
rm -rf "$RUN"
ARGS=(train --model "$MODEL" --dataset "npz:$DATA" --epochs "$EPOCHS" --batch-size "$BATCH"
      --mixed-precision mixed_bfloat16 --pipeline numpy --out "$RUN" --progress epoch)
"$PYTHON" -m keras_resnet "${ARGS[@]}" &
TRAINER=$!
KILLED=0
DEADLINE=$((SECONDS + LIMIT))
while kill -0 "$TRAINER" 2>/dev/null && ((SECONDS < DEADLINE)); do
    if [[ -f $RUN/history.csv ]] && (($(wc -l < "$RUN/history.csv") >= 3)); then
        kill -9 "$TRAINER" && KILLED=1
        break
    fi
    sleep 0.2
done
wait "$TRAINER"
echo "first session exit $? (killed: $KILLED)"
timeout "$LIMIT" "$PYTHON" -m keras_resnet "${ARGS[@]}" --resume
echo "resumed session exit $?"
timeout 120 "$PYTHON" -m keras_resnet evaluate "$RUN" --json > /tmp/gpu-evaluate.json
echo "evaluate exit $?"

echo "== summary $(date -u +%T)"
"$PYTHON" - "$RUN" "$OUT/gpu_train.json" "$KILLED" "$MODEL" "$BATCH" <<'PY'
import csv, json, sys
run, target, killed, model, batch = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4], int(sys.argv[5])
history = list(csv.DictReader(open(f"{run}/history.csv")))
config = json.load(open(f"{run}/config.json"))
metrics = json.load(open(f"{run}/metrics.json"))
with open(f"{run}/gradient_norms.csv") as file:
    gradients = list(csv.DictReader(file))
examples = metrics["dataset"]["train_examples"]
steps = examples // batch + (examples % batch > 0)
epoch_seconds = [float(row["epoch_seconds"]) for row in history]
firsts = {session.get("initial_epoch", 0) for session in config.get("sessions", [])}
steady = [s for i, s in enumerate(epoch_seconds) if i not in firsts]  # a session's first compiles
summary = {
    "model": model,
    "batch_size": batch,
    "mixed_precision": "mixed_bfloat16",
    "pipeline": metrics["dataset"]["pipeline"],
    "device": config["sessions"][-1]["devices"] if "sessions" in config else None,
    "environment": config.get("environment"),
    "train_examples": examples,
    "steps_per_epoch": steps,
    "epoch_seconds": epoch_seconds,
    "images_per_second_steady": [round(examples / s, 1) for s in steady],
    "test": metrics["test"],
    "evaluate": json.load(open("/tmp/gpu-evaluate.json")),
    "killed_after_epoch_2": killed,
    "sessions": len(config.get("sessions", [])),
    "initial_epochs": [s.get("initial_epoch") for s in config.get("sessions", [])],
    "gradient_norm_epochs": sorted({int(row["epoch"]) for row in gradients}),
    "history": history,
}
json.dump(summary, open(target, "w"), indent=2)
print(json.dumps({k: summary[k] for k in ("epoch_seconds", "images_per_second_steady", "test",
                                            "sessions", "initial_epochs", "gradient_norm_epochs")}, indent=2))
PY
tar -czf "$OUT/run.tar.gz" -C "$(dirname "$RUN")" --exclude checkpoints "$(basename "$RUN")"
echo "== done $(date -u +%T)"
