"""runtimes.json and runtimes.md: the runtime comparison's ratios, recommendation and table.

Everything here is computed from the result dict alone, so the Markdown can never disagree with the
JSON: each (model, batch) cell's ratio is its time per batch over the fastest runtime's (1.00x =
fastest), and the recommendation is the runtime of this library with the lowest geometric mean of
those ratios over every cell it ran, never a hard-coded name.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from keras_resnet._utils.atomic import write_json, write_text

JSON_NAME, MARKDOWN_NAME = "runtimes.json", "runtimes.md"


def cell_name(model: str, batch: int) -> str:
    """The key of one (model, batch) cell: "resnet50@32"."""
    return f"{model}@{batch}"


def _ms(runtime: dict, cell: str) -> float | None:
    entry = runtime.get("cells", {}).get(cell, {})
    return entry.get("ms_per_batch") if runtime.get("status") == "done" else None


def add_ratios(result: dict) -> dict:
    """Set result["fastest"] {cell: runtime} and result["ratios"] {cell: {runtime: time / fastest}}."""
    result["fastest"], result["ratios"] = {}, {}
    for cell in result["cells"]:
        times = {name: _ms(r, cell) for name, r in result["runtimes"].items()}
        times = {name: ms for name, ms in times.items() if ms}
        if not times:
            continue
        fastest = min(times, key=times.get)
        result["fastest"][cell] = fastest
        result["ratios"][cell] = {name: ms / times[fastest] for name, ms in times.items()}
    return result


def recommend(result: dict) -> dict:
    """The library runtime with the lowest geometric-mean ratio over all cells (only runtimes that
    ran every cell compete), the best float one if that is int8, and a one-line text."""
    cells, ratios, runtimes = result["cells"], result["ratios"], result["runtimes"]
    scores = {}
    for name, runtime in runtimes.items():
        values = [ratios.get(cell, {}).get(name) for cell in cells]
        if runtime.get("library") and values and all(values):
            scores[name] = math.exp(sum(math.log(v) for v in values) / len(values))
    if not scores:
        return {"runtime": None, "text": "No recommendation: no runtime of this library ran every cell."}
    best = min(scores, key=scores.get)
    wins = sum(result["fastest"].get(cell) == best for cell in cells)
    label = runtimes[best]["label"]
    text = (
        f"Ship {label} for CPU inference: {scores[best]:.2f}x the fastest time (geometric mean over "
        f"{len(cells)} model/batch cells), fastest in {wins} of {len(cells)}"
    )
    floats = {n: s for n, s in scores.items() if not runtimes[n].get("quantized")}
    best_float = min(floats, key=floats.get) if floats else None
    if runtimes[best].get("quantized") and best_float:
        text += f"; unquantized, {runtimes[best_float]['label']} ({floats[best_float]:.2f}x)"
    beaten = sorted({result["fastest"][c] for c in cells if c in result["fastest"]} - set(scores))
    if beaten:
        text += "; faster elsewhere: " + ", ".join(runtimes[n]["label"] for n in beaten)
    return {"runtime": best, "best_float": best_float, "geometric_mean_ratios": scores, "text": text + "."}


def _cell_text(result: dict, name: str, cell: str) -> str:
    runtime = result["runtimes"][name]
    entry = runtime.get("cells", {}).get(cell) or {}
    if entry.get("status") == "n/a":
        return "n/a"
    if runtime.get("status") != "done":
        return runtime.get("status", "missing")
    if "ms_per_batch" not in entry:
        return "missing"
    ratio = result["ratios"].get(cell, {}).get(name)
    text = f"{entry['ms_per_batch']:,.1f} ms · {entry['images_per_second']:,.0f} img/s · {ratio:.2f}x"
    return f"**{text}**" if result["fastest"].get(cell) == name else text


def _cell_heading(result: dict, cell: str) -> str:
    model, _, batch = cell.partition("@")
    size = result["models"][model]["image_size"]
    return f"{model} {size}x{size}, batch {batch}"


def format_markdown(result: dict) -> str:
    """runtimes.md: recommendation, machine, load, threads, versions, method, then the table."""
    machine = result["machine"]
    lines = [
        "# Which runtime to ship for CPU",
        "",
        f"Written by `{result['command']}` on {result['date']}"
        + (" (--quick: smoke-test sizes, the figures mean nothing)." if result["quick"] else "."),
        "",
        f"**Recommendation:** {result['recommendation']['text']}",
        "",
        f"- machine: {machine['cpu']}, {machine['cpu_count']} logical cores "
        f"({machine['usable_cpus']} usable), {machine['memory_gib']:.1f} GiB",
        f"- load average (1, 5, 15 min) at start {result['load_average_start']}, at end "
        f"{result['load_average_end']} (each runtime's own start and end are in {JSON_NAME})",
        f"- threads: {result['threads']} intra-op, 1 inter-op, process pinned to {result['threads']} "
        "CPU(s), for every runtime",
        f"- method: {result['method']}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()),
        "",
        "Each cell: median time per batch, images/s, and time / the fastest runtime's for that "
        "model and batch (1.00x = fastest, in bold). n/a: no such model in that library.",
        "",
        "| runtime | call | " + " | ".join(_cell_heading(result, c) for c in result["cells"]) + " |",
        "|---|---|" + "---|" * len(result["cells"]),
    ]
    for name, runtime in result["runtimes"].items():
        cells = " | ".join(_cell_text(result, name, c) for c in result["cells"])
        call = f"`{runtime['call']}`" if runtime.get("call") else "-"
        lines.append(f"| {runtime['label']} | {call} | {cells} |")
    notes = [
        f"- {r['label']}: {r['status']}: {r.get('reason') or r.get('error', '')}"
        for r in result["runtimes"].values()
        if r.get("status") != "done"
    ]
    if notes:
        lines += ["", *notes]
    lines += ["", *_export_lines(result.get("exports") or {})]
    return "\n".join(lines)


def _export_lines(exports: dict) -> list[str]:
    """One line per model: each exported file's size and max |diff| to Keras (random pixels)."""
    if exports.get("status") == "failed":
        return [f"Export failed: {exports.get('error')}", ""]
    lines = [
        f"- {model}: "
        + ", ".join(
            f"{name} {row['size_bytes'] / 1e6:.1f} MB (max |diff| to Keras {row['max_abs_diff']:.2g})"
            for name, row in rows.items()
        )
        for model, rows in exports.items()
    ]
    if not lines:
        return []
    return ["Exported files (`kr.export_model`; int8 calibrated on random pixels):", "", *lines, ""]


def write_report(result: dict, out: str | os.PathLike) -> tuple[Path, Path]:
    """Add ratios and the recommendation, write OUT/runtimes.json and OUT/runtimes.md."""
    add_ratios(result)
    result["recommendation"] = recommend(result)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / JSON_NAME, out / MARKDOWN_NAME
    write_json(json_path, result)
    write_text(md_path, format_markdown(result))
    return json_path, md_path
