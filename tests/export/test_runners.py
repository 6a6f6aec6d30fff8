"""Runner claims: the latency script, which times Keras and LiteRT through the one runner loop,
writes its JSON and markdown."""

from __future__ import annotations

import importlib.util
import json

from tests.export.conftest import (
    ROOT,
)

# ---------------------------------------------------------------- latency benchmark


def test_latency_benchmark_quick_mode_writes_json_and_markdown(tmp_path):
    spec = importlib.util.spec_from_file_location("export_latency", ROOT / "examples/scripts/export_latency.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    results = script.main(["--quick", "--out-dir", str(tmp_path)])
    written = json.loads((tmp_path / "export_latency.json").read_text())
    assert written["rows"] == results["rows"] and len(written["rows"]) == 1
    assert {"keras_ms", "litert_float32_ms", "litert_int8_ms"} <= set(written["rows"][0])
    assert "| model |" in (tmp_path / "export_latency.md").read_text()
