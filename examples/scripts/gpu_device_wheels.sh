#!/usr/bin/env bash
# Fetch, on a machine with network access, the wheels gpu_device_run.sh installs on the GPU machine
# (Python 3.12, JAX + CUDA, PyTorch, no TensorFlow, no network): Keras and the two small packages
# it needs that that machine lacks (namex, optree). They land in .whl/ (git-ignored), which the
# device call carries.
#   examples/scripts/gpu_device_wheels.sh        (PYTHON=..., KERAS_VERSION=3.15.1)
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
KERAS_VERSION=${KERAS_VERSION:-3.15.1}
mkdir -p .whl
"$PYTHON" -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl "keras==$KERAS_VERSION" namex optree
ls -la .whl
