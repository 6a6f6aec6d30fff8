"""Provenance reads versions from package metadata (nothing imported), and the CLI's filter drops
TensorFlow's C++ log lines from stderr and nothing else."""

import subprocess
import sys

from keras_resnet._utils.native_logs import NATIVE_LOG_LINE


def test_provenance_records_versions_machine_and_time_without_importing_tensorflow():
    code = (
        "import sys; from keras_resnet._utils.provenance import provenance; p = provenance();"
        "assert p['versions']['keras_resnet'] and p['versions']['tensorflow'] and p['cpu_count'];"
        "assert p['date'].endswith('+00:00') and p['backend'];"
        "print(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


def test_the_native_log_pattern_matches_tensorflow_absl_and_litert_lines_only():
    noise = [
        b"I0000 00:00:1796084048.828403   12549 port.cc:153] oneDNN custom operations are on.",
        b"E0000 00:00:1796084072.194836   12549 cuda_platform.cc:52] failed call to cuInit",
        b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
        b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
        b"fully_quantize: 0, inference_type: 6, input_inference_type: FLOAT32",
    ]
    kept = [b"keras-resnet train: error: batch size must be an integer >= 1; got 0", b"I0000 is a name"]
    assert all(NATIVE_LOG_LINE.match(line) for line in noise)
    assert not any(NATIVE_LOG_LINE.match(line) for line in kept)


def test_the_filter_drops_native_lines_written_to_descriptor_2_and_passes_the_rest():
    code = (
        "import os, sys\nfrom keras_resnet._utils.native_logs import native_log_filter\n"
        "with native_log_filter():\n"
        "    os.write(2, b'I0000 00:00:1.5   7 port.cc:153] noise\\n')\n"
        "    print('a warning the user must see', file=sys.stderr)\n"
        "print('after', file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stderr.splitlines() == ["a warning the user must see", "after"]
