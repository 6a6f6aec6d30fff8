"""Plain vs residual nets trained side by side: the degradation experiment of He et al. 2015, Figure 6.

`compare_models` trains each model with the same recipe, data and seed through `training.train`
(one resumable run folder per model under `out`), scores the test split after every epoch, and
writes one figure (training loss, training error and test error per epoch; plain nets dashed,
residual solid) and a summary table. Finished runs are reused: running it again only redraws.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from keras_resnet._utils.atomic import write_json, write_text
from keras_resnet.errors import InvalidInputError
from keras_resnet.training.run_folder import RunFolder

__all__ = ["compare_models", "format_table"]

TABLE_COLUMNS = (
    ("model", "model", "{}"),
    ("depth", "depth", "{}"),
    ("residual", "shortcuts", "{}"),
    ("params", "trainable parameters", "{:,}"),
    ("final_train_loss", "final train loss", "{:.4f}"),
    ("final_train_error", "final train error %", "{:.2f}"),
    ("final_test_error", "final test error %", "{:.2f}"),
    ("best_test_error", "best test error %", "{:.2f}"),
    ("train_seconds", "train s", "{:.0f}"),
)


def compare_models(
    models,
    *,
    dataset: str = "digits",
    epochs: int = 30,
    out="runs/compare",
    seed: int = 0,
    batch_size: int | None = None,
    verbose=0,
    overwrite: bool = False,
    **train_options,
) -> dict:
    """Train `models` alike; returns rows, histories, figure. A model is a name, a name with
    architecture options ("resnet110:shortcut_variant=gated", see `models.variants`), a name with
    pretrained weights ("resnet18:weights=torchvision", or a weights file: fine-tuned, with the
    fine-tune recipe unless `recipe` is given) or a `module:function` builder; the text is its
    label in the table and the figure.

    `train_options` are further `TrainConfig` fields (recipe, lr, warmup_epochs, ...), the same
    for every model (`recipe=None`: paper-cifar from scratch, fine-tune from weights). Each run
    folder gets its own figures; `comparison.png`, `comparison.json` and `comparison.md` go into
    `out`.
    """
    from keras_resnet.experiments.plots import plot_comparison
    from keras_resnet.experiments.run_figures import draw_run_figures
    from keras_resnet.training import progress
    from keras_resnet.training.callbacks import TestSplitScore
    from keras_resnet.training.config import resolve_config
    from keras_resnet.training.fit import load_config_data, train

    models = _check_models(models)
    given = {"dataset": dataset, "epochs": epochs, "seed": seed, **train_options}
    given = {k: v for k, v in given.items() if k != "recipe" or v is not None}  # None: per model
    if batch_size is not None:
        given["batch_size"] = batch_size
    configs = {
        name: resolve_config(
            {**given, **_model_fields(name)}, out=str(Path(out) / _folder(name)), resume=False
        )
        for name in models
    }
    _share_warmup(configs)  # also checks every config before anything trains
    first = next(iter(configs.values()))
    tests: dict = {}  # the same test images, prepared by each run's resize rule (a pretrained run's crop)
    rows, histories = [], {}
    for number, (name, config) in enumerate(configs.items(), start=1):
        run = RunFolder(Path(out) / _folder(name))
        resume = run.is_run() and not overwrite
        label = f"compare {number}/{len(configs)} {name}"
        print(f"{label} ({'resuming ' if resume else ''}{run.root})")
        with progress.stage(label):  # each run's progress line names its place in the comparison
            metrics = train(
                config,
                out=str(run.root),
                resume=resume,
                overwrite=overwrite and not resume,
                verbose=verbose,
                extra_callbacks=[TestSplitScore(_test_split(tests, config, load_config_data))],
            )
        draw_run_figures(run.root, title=f"{name} on {config.dataset}")
        histories[name] = run.read_history()
        rows.append(_row(name, run, metrics, histories[name]))
    out = Path(out)
    figure = plot_comparison(
        histories,
        out / "comparison.png",
        residual={r["model"]: r["residual"] for r in rows},
        title=f"{first.dataset}, {first.epochs} epochs, seed {first.seed}",
    )
    table = _table(rows)
    result = {
        "rows": rows,
        "histories": histories,
        "figure": str(figure),
        "table": table,
        "config": {k: v for k, v in first.to_dict().items() if k != "model"},
    }
    write_json(out / "comparison.json", {k: v for k, v in result.items() if k != "table"})
    write_text(out / "comparison.md", table + "\n")
    return result


def _table(rows: list[dict]) -> str:
    """The summary table, and beside it He et al. 2016's figures when a model is an ablation."""
    from keras_resnet.experiments.ablations import ablation_table
    from keras_resnet.models.option_text import is_model_variant

    table = format_table(rows)
    from_scratch = [row for row in rows if _split_weights(row["model"])[1] is None]
    if any(is_model_variant(row["model"]) for row in from_scratch):
        table += "\n\nBeside He et al. 2016 (ResNet-110, CIFAR-10):\n\n" + ablation_table(from_scratch)
    return table


def _share_warmup(configs: dict) -> None:
    """One recipe for all: paper-cifar warms up plain and >=110-layer nets only (lr/10 until the
    training error is below 80 %), so unless a warm-up was given, every model gets the warm-up the
    recipe picks for any of them: the same rule for all, each ending its warm-up when it is ready.

    The same rule for all is what makes the comparison fair: a net that meets lr 0.1 unwarmed
    may diverge while its neighbours are warmed up. Models fine-tuned from weights next to models
    trained from scratch share it only with the models of their own recipe.
    """
    from keras_resnet.training.config import check_config

    if any(c.warmup_epochs is not None or c.warmup_until_error is not None for c in configs.values()):
        return
    by_recipe: dict = {}
    for name, config in configs.items():
        by_recipe.setdefault(config.recipe, {})[name] = config
    for group in by_recipe.values():
        _share_recipe_warmup(group, check_config)


def _share_recipe_warmup(configs: dict, check_config) -> None:
    """`_share_warmup` within models of one recipe."""
    resolved = [check_config(config) for config in configs.values()]
    gates = [r.warmup_until_error for r in resolved if r.warmup_until_error is not None]
    if gates:
        for config in configs.values():
            config.warmup_until_error = max(gates)
        return
    for config in configs.values():
        config.warmup_epochs = max(r.warmup_epochs for r in resolved)


def format_table(rows: list[dict]) -> str:
    """The summary rows as a markdown table."""
    lines = [
        "| " + " | ".join(title for _, title, _ in TABLE_COLUMNS) + " |",
        "|" + "|".join("---" if key == "model" else "---:" for key, _, _ in TABLE_COLUMNS) + "|",
    ]
    for row in rows:
        cells = [("-" if row[key] is None else fmt.format(row[key])) for key, _, fmt in TABLE_COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _check_models(models) -> list[str]:
    from keras_resnet.models.named import list_models

    if isinstance(models, str):
        models = [models]
    models = list(models)
    if not models:
        raise InvalidInputError("compare needs at least one model, e.g. plain20 plain56 resnet20 resnet56")
    repeated = sorted({m for m in models if models.count(m) > 1})
    if repeated:
        raise InvalidInputError(f"model named more than once: {', '.join(repeated)}")
    unknown = [m for m in models if ":" not in m and m not in list_models()]
    if unknown:
        raise InvalidInputError(f"unknown model {', '.join(unknown)}; `keras-resnet models` lists the names")
    for model in models:
        _model_fields(model)  # a variant's options are checked before anything trains
    return models


def _model_fields(label: str) -> dict:
    """The `TrainConfig` fields of a model label: "name:key=value,..." becomes name + model_args,
    and a `weights=SOURCE` option the run's `weights`."""
    from keras_resnet.models.option_text import is_model_variant, parse_model_variant

    label, weights = _split_weights(label)
    fields = {"weights": weights} if weights else {}
    if not is_model_variant(label):
        return {"model": label, **fields}
    name, options = parse_model_variant(label)
    return {"model": name, "model_args": options, **fields}


def _split_weights(label: str) -> tuple[str, str | None]:
    """("resnet18", "torchvision") from "resnet18:weights=torchvision"; other options stay."""
    name, sep, rest = label.partition(":")
    if not sep or "=" not in rest:
        return label, None
    items = [item.strip() for item in rest.split(",") if item.strip()]
    weights = [
        value.strip() for key, _, value in (i.partition("=") for i in items) if key.strip() == "weights"
    ]
    if len(weights) > 1 or (weights and not weights[0]):
        raise InvalidInputError(f"give weights=SOURCE once, with a source or file, in {label!r}")
    others = [item for item in items if item.partition("=")[0].strip() != "weights"]
    return (f"{name}:{','.join(others)}" if others else name), (weights[0] if weights else None)


def _folder(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)


def _test_split(tests: dict, config, load):
    """The test split `config` is scored on each epoch, loaded once per resize rule: the same
    images for every run, prepared as that run's training prepares them."""
    from keras_resnet.training.fit import config_image_rule

    rule = config_image_rule(config)
    if rule not in tests:
        tests[rule] = load(config).test
    return tests[rule]


def _row(name: str, run: RunFolder, metrics: dict, history: list[dict]) -> dict:
    from keras_resnet.models.complexity import model_stats
    from keras_resnet.models.saving import load_keras_file
    from keras_resnet.models.specs import MODEL_SPECS

    spec = MODEL_SPECS.get(_model_fields(name)["model"])
    last = history[-1] if history else {}
    test_errors = [100 * (1 - row["test_accuracy"]) for row in history if _finite(row.get("test_accuracy"))]
    model = load_keras_file(run.checkpoint("last"))
    return {
        "model": name,
        "depth": spec.depth if spec else None,
        "residual": spec.residual if spec else None,
        "params": model_stats(model)["trainable_params"],
        "final_train_loss": last.get("loss"),
        "final_train_error": 100 * (1 - last["accuracy"]) if _finite(last.get("accuracy")) else None,
        "final_test_error": 100 * (1 - metrics["test"]["accuracy"]),
        "best_test_error": min(test_errors) if test_errors else None,
        "train_seconds": metrics["train_seconds_total"],
    }


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
