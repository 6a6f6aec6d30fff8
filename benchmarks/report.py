"""benchmarks.json and its readable twin BENCHMARKS.md, both written atomically.

The Markdown is drawn from the report dict alone, so it can never disagree with the JSON: every
table, ratio and verdict (goal met or missed, and where the gap comes from) is computed from the
measured figures, next to the machine, its load, the date, the versions and the exact command.
"""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.pipeline import GOAL_RATIO
from keras_resnet._utils.atomic import write_json, write_text

JSON_NAME = "benchmarks.json"
MARKDOWN_NAME = "BENCHMARKS.md"


def write_report(report: dict, out: str | os.PathLike) -> tuple[Path, Path]:
    """Write `report` to OUT/benchmarks.json and OUT/BENCHMARKS.md; return both paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / JSON_NAME, out / MARKDOWN_NAME
    write_json(json_path, report)
    write_text(md_path, format_markdown(report))
    return json_path, md_path


def _num(value, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _x(value) -> str:
    return "n/a" if value is None else f"{value:.3f}x"


def _not_done(entry: dict) -> str | None:
    if entry.get("status") == "done":
        return None
    return f"{entry.get('status', 'missing')}: {entry.get('reason') or entry.get('error', '')}"


def format_markdown(report: dict) -> str:
    machine, versions = report["machine"], report["versions"]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{report['command']}` on {report['date']}"
        + (" (--quick: smoke-test sizes, the figures mean nothing)." if report["quick"] else "."),
        "",
        f"- machine: {machine['cpu']}, {machine['cpu_count']} logical cores "
        f"({machine['usable_cpus']} usable), {_num(machine['memory_gib'])} GiB; "
        f"accelerator: {machine['accelerator']}",
        f"- load average (1, 5, 15 min) at start {machine['load_average']}, "
        f"at end {report.get('load_average_end')}: {report['note']}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        "",
        "## Summary (the README's throughput table)",
        "",
        summary_table(report),
        "",
    ]
    if "cpu" in report:
        lines += _cpu_section(report["cpu"])
    if "pipeline" in report:
        lines += _pipeline_section(report["pipeline"])
    if "overhead" in report:
        lines += _overhead_section(report["overhead"])
    if "gpu" in report:
        lines += _gpu_section(report["gpu"])
    return "\n".join(lines).rstrip() + "\n"


def _overhead_section(entry: dict) -> list[str]:
    lines = ["## Gradient-norm callback and export overhead", ""]
    if "command" in entry:  # re-measured on its own (`--suite overhead`)
        lines += [
            f"Re-measured by `{entry['command']}` on {entry['date']} (load average at start "
            f"and end {entry['load_average']})"
            + (" (--quick: the figures mean nothing)." if entry.get("quick") else "."),
            "",
        ]
    grads = entry.get("gradient_norms", {})
    if _not_done(grads):
        lines += [f"Gradient norms: {_not_done(grads)}", ""]
    else:
        targets = grads.get("targets_ratio_minus_one", {})
        lines += [
            f"{grads['model']} on {grads['dataset']}, batch {grads['batch_size']}, "
            f"{grads['steps_per_epoch']} steps per epoch, {grads['backend']}; median of "
            f'{grads["timed_epochs_per_configuration"]} interleaved epochs each. "added" '
            'compares epoch medians (noisy on a shared machine); "in callback" is the '
            "time spent inside the callback's hooks, where all of its work happens, as a share "
            "of the baseline epoch: the goal is judged on it.",
            "",
            "| configuration | median epoch s | added | in callback | goal | cost of one measurement |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        share = grads.get("callback_share_of_baseline_epoch", {})
        cost = grads.get("callback_cost_in_steps", grads["measurement_cost_in_steps"])
        for name, seconds in grads["median_epoch_seconds"].items():
            added = grads["ratio_to_baseline"][name] - 1
            target = targets.get(name)
            judged = share.get(name, added)
            lines.append(
                f"| {name} | {seconds:.2f} | {100 * added:+.1f} % | "
                + ("" if name not in share else f"{100 * share[name]:.1f} %")
                + " | "
                + (
                    ""
                    if target is None
                    else f"<= {100 * target:.0f} %" + (" met" if judged <= target else " missed")
                )
                + " | "
                + ("" if name not in cost else f"{cost[name]:.2f} steps")
                + " |"
            )
        lines.append("")
    export = entry.get("export", {})
    if _not_done(export):
        lines += [f"Export: {_not_done(export)}", ""]
    else:
        lines += [
            f"One `export_model` call on {export['model']} (SavedModel + TFLite float32 and int8, "
            f"each verified against Keras): {export['export_seconds']:.1f} s; Keras batch-1 "
            f"latency {export['keras_latency_ms']:.2f} ms. The weights are untrained, so this "
            "times the export only; tests/export/ checks parity and int8 accuracy on a "
            "ResNet-20 trained on digits.",
            "",
            "| file | size | ms per image (batch 1) |",
            "| --- | ---: | ---: |",
        ]
        for row in export["files"]:
            lines.append(f"| {row['file']} | {row['size_bytes'] / 1e6:.2f} MB | {row['latency_ms']:.2f} |")
        lines.append("")
    return lines


def summary_table(report: dict) -> str:
    """The headline figures as one Markdown table, for the README."""
    rows = ["| figure | this library | reference | ratio |", "| --- | ---: | ---: | ---: |"]
    r50 = report.get("cpu", {}).get("resnet50", {})
    if r50.get("status") == "done":
        size = f"{r50['input'][0]}x{r50['input'][1]}, batch {r50['batch_size']}, {r50['backend']}"
        for kind in ("train", "inference"):
            ours = r50["models"]["ours"][kind]["images_per_second"]
            theirs = r50["models"]["keras_applications"][kind]["images_per_second"]
            rows.append(
                f"| ResNet-50 {kind} images/s ({size}) vs keras.applications | "
                f"{_num(ours, 2)} | {_num(theirs, 2)} | "
                f"{_x(r50['ratios'][kind]['ours_vs_keras_applications'])} |"
            )
    for backend, r in report.get("cpu", {}).get("resnet20", {}).items():
        if r.get("status") == "done":
            rows.append(
                f"| ResNet-20 training images/s (32x32, batch {r['batch_size']}), {backend} | "
                f"{_num(r['images_per_second'])} | | |"
            )
        else:
            rows.append(
                f"| ResNet-20 training images/s (32x32), {backend} | {r.get('status')}: "
                f"{r.get('reason') or r.get('error', '')} | | |"
            )
    p = report.get("pipeline", {})
    if p.get("status") == "done":
        rows.append(
            f"| input pipeline images/s ({p['dataset']}, batch {p['batch_size']}) vs ResNet-20 "
            f"training on TensorFlow | {_num(p['images_per_second'])} | "
            f"{_num(p['resnet20_training_images_per_second'])} | {_x(p['ratio'])} |"
        )
    for name, r in report.get("gpu", {}).get("keras", {}).items():
        if r.get("status") == "done":
            reference = report["gpu"]["torchvision"].get(name, {}).get("images_per_second")
            rows.append(
                f"| GPU {name} training images/s ({r['device']}) vs torchvision | "
                f"{_num(r['images_per_second'])} | {_num(reference)} | "
                f"{_x(report['gpu']['ratios_keras_vs_torchvision'].get(name))} |"
            )
    if report.get("gpu", {}).get("status") == "skipped":
        rows.append(f"| GPU suite | skipped: {report['gpu']['reason']} | | |")
    if "gpu" not in report:
        rows.append(f"| GPU suite | not measured: run `{GPU_COMMAND}` on a CUDA machine | | |")
    return "\n".join(rows)


GPU_COMMAND = "bash examples/scripts/gpu_device_run.sh"
"""Runs the GPU suite and a GPU training run in one call on a machine with JAX + CUDA (see it)."""


def main(argv: list[str]) -> int:
    """`python -m benchmarks.report OUT/benchmarks.json`: rewrite BENCHMARKS.md beside it."""
    import json

    path = Path(argv[0]) if argv else Path("examples/results") / JSON_NAME
    report = json.loads(path.read_text())
    write_text(path.with_name(MARKDOWN_NAME), format_markdown(report))
    print(summary_table(report))
    return 0


def _cpu_section(cpu: dict) -> list[str]:
    lines = []
    r50 = cpu["resnet50"]
    problem = _not_done(r50)
    lines += ["## CPU: ResNet-50, ours against keras.applications (same process, same backend)", ""]
    if problem:
        lines += [problem, ""]
    else:
        lines += [
            f"Backend {r50['backend']}, batch {r50['batch_size']}, input "
            f"{'x'.join(map(str, r50['input']))}, {r50['optimizer']}, synthetic data; "
            f"{r50['compiled']}. Median of {r50['models']['ours']['train']['repeats']} repeats "
            "after warm-up, the models' repeats interleaved; spread = (max - min) / median.",
            "",
            "| model | params | GMACs | train images/s | spread | inference images/s | spread |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for which, m in r50["models"].items():
            lines.append(
                f"| {which}: {m['description']} | {m['params']:,} | {m['macs'] / 1e9:.3f} | "
                f"{_num(m['train']['images_per_second'], 2)} | {m['train']['spread']:.0%} | "
                f"{_num(m['inference']['images_per_second'], 2)} | {m['inference']['spread']:.0%} |"
            )
        ratios = r50["ratios"]
        lines += ["", "| ratio | train | inference |", "| --- | ---: | ---: |"]
        for key, label in (
            ("ours_vs_keras_applications", "ours / keras.applications (goal >= 1.0x)"),
            (
                "implementation_ours_v1_bias_vs_keras_applications",
                "implementation: ours v1+bias / keras.applications (same graph)",
            ),
            ("architecture_ours_vs_ours_v1_bias", "architecture: ours v1.5 / ours v1+bias"),
        ):
            lines.append(f"| {label} | {_x(ratios['train'][key])} | {_x(ratios['inference'][key])} |")
        lines += [
            "",
            f"MACs, ours / keras.applications: {_x(ratios['macs_ours_vs_keras_applications'])}.",
            "",
            *_verdict(r50),
            "",
        ]
        if r50.get("diagnostics"):
            lines += [
                "What was tried on `ours` (timed in the same interleaved rounds):",
                "",
                "| variant | train images/s | vs ours | inference images/s | vs ours |",
                "| --- | ---: | ---: | ---: | ---: |",
            ]
            for which, d in r50["diagnostics"].items():
                lines.append(
                    f"| {which}: {d['description']} | {_num(d['train']['images_per_second'], 2)} | "
                    f"{_x(d['train_vs_ours'])} | {_num(d['inference']['images_per_second'], 2)} | "
                    f"{_x(d['inference_vs_ours'])} |"
                )
            lines.append("")
    lines += [
        "## CPU: ResNet-20 training per backend",
        "",
        "32x32 inputs, paper-cifar recipe (SGD 0.9, L2 1e-4), synthetic data, one subprocess per backend.",
        "",
        "| backend | batch | images/s | s per repeat (steps) | spread | warm-up s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for backend, r in cpu["resnet20"].items():
        problem = _not_done(r)
        if problem:
            lines.append(f"| {backend} | | {problem} | | | |")
        else:
            steps = r["images_per_repeat"] // r["batch_size"]
            lines.append(
                f"| {backend} | {r['batch_size']} | {_num(r['images_per_second'])} | "
                f"{r['seconds_per_repeat']:.2f} ({steps}) | {r['spread']:.0%} | "
                f"{_num(r['warmup_seconds'])} |"
            )
    return lines + [""]


def _verdict(r50: dict) -> list[str]:
    """Goal met or missed, and which of implementation or architecture the gap comes from."""
    out = []
    for kind in ("train", "inference"):
        ratio = r50["ratios"][kind]
        ours, impl, arch = (
            ratio["ours_vs_keras_applications"],
            ratio["implementation_ours_v1_bias_vs_keras_applications"],
            ratio["architecture_ours_vs_ours_v1_bias"],
        )
        if ours is None:
            continue
        if ours >= 1.0:
            out.append(f"- {kind}: goal met ({_x(ours)}).")
            continue
        out.append(
            f"- {kind}: goal missed ({_x(ours)}). The same graph built by this library runs at "
            f"{_x(impl)} of keras.applications (implementation), and the v1.5 layout at {_x(arch)} "
            f"of v1 (architecture: {_x(r50['ratios']['macs_ours_vs_keras_applications'])} the MACs, "
            "the stride moved onto the 3x3 conv, whose input is 4x larger)."
        )
    return out


def _pipeline_section(p: dict) -> list[str]:
    problem = _not_done(p)
    lines = ["## Input pipeline (tf.data, no model)", ""]
    if problem:
        return lines + [problem, ""]
    verdict = (
        "n/a (no ResNet-20 TensorFlow figure in this run)"
        if p["ratio"] is None
        else f"goal {'met' if p['ratio'] >= GOAL_RATIO else 'missed'} ({_x(p['ratio'])}, "
        f"goal >= {GOAL_RATIO:.0f}x)"
    )
    return lines + [
        f"`keras_resnet.data.pipelines.load_datasets({p['dataset']!r}).train`: {p['augment']}, batch "
        f"{p['batch_size']}, prefetch; drained with `as_numpy_iterator()`, "
        f"{p['batches_per_repeat']} batches per repeat, median of {p['repeats']}.",
        "",
        "| pipeline images/s | spread | ResNet-20 training images/s (TensorFlow, this run) | ratio |",
        "| ---: | ---: | ---: | ---: |",
        f"| {_num(p['images_per_second'])} | {p['spread']:.0%} | "
        f"{_num(p['resnet20_training_images_per_second'])} | {_x(p['ratio'])} |",
        "",
        f"Verdict: {verdict}.",
        "",
    ]


def _gpu_section(gpu: dict) -> list[str]:
    lines = ["## GPU: ResNet-50 training, JAX bf16 + XLA against torchvision", ""]
    problem = _not_done(gpu)
    if problem:
        return lines + [problem, ""]
    peak = gpu["peak_bf16_flops"]
    lines += [
        f"GPU: {gpu['gpu']}; dense bf16 peak: "
        f"{_num(peak / 1e12, 0) + ' TFLOPS' if peak else gpu['peak_note']}. "
        "MFU = images/s x 3 x MACs x 2 / peak.",
        "",
        "| case | implementation | batch | images/s | MFU | keras / torchvision |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r in gpu["keras"].items():
        problem = _not_done(r)
        if problem:
            lines.append(f"| {name} | keras_resnet | | {problem} | | |")
            continue
        mfu = "n/a" if r.get("mfu") is None else f"{r['mfu']:.1%}"
        lines.append(
            f"| {name} | {r['implementation']} | {r['batch_size']} | "
            f"{_num(r['images_per_second'])} | {mfu} | "
            f"{_x(gpu['ratios_keras_vs_torchvision'].get(name))} |"
        )
    for name, r in gpu["torchvision"].items():
        problem = _not_done(r)
        if problem:
            lines.append(f"| {name} | torchvision | | {problem} | | |")
            continue
        mfu = "n/a" if r.get("mfu") is None else f"{r['mfu']:.1%}"
        lines.append(
            f"| {name} | {r['implementation']} | {r['batch_size']} | "
            f"{_num(r['images_per_second'])} | {mfu} | |"
        )
    if gpu.get("torchvision_note"):
        lines += ["", gpu["torchvision_note"]]
    return lines + [""]


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
