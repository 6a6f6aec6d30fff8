"""He et al. 2016, "Identity Mappings in Deep Residual Networks": the paper's ablation tables as data,
the model labels that re-run them through `compare_models`, and our results beside the paper's.

Table 1 varies the shortcut (`shortcut_variant`, Fig. 2), Table 2 the activation placement
(`unit_order`, Fig. 4); both on CIFAR-10, test error %, "fail" meaning above 20 %.
"""

from __future__ import annotations

from typing import Any

from keras_resnet.models.variants import SHORTCUT_VARIANTS, UNIT_ORDERS

__all__ = [
    "PAPER_TABLE_1",
    "PAPER_TABLE_2",
    "shortcut_labels",
    "order_labels",
    "paper_error",
    "variant_of",
    "ablation_table",
    "parameter_rows",
]

# ResNet-110 on CIFAR-10, test error % (None: "fail", above 20 %), by (shortcut_variant, gate_bias).
PAPER_TABLE_1 = {
    ("identity", None): 6.61,
    ("scaled", None): 12.35,
    ("scaled_shortcut", None): None,
    ("gated", -6.0): 8.70,
    ("gated", -7.0): 9.81,
    ("gated", 0.0): None,  # stands for every init from 0 to -5
    ("gated_shortcut", 0.0): 12.86,
    ("gated_shortcut", -6.0): 6.91,
    ("conv", None): 12.22,
    ("dropout", None): None,
}
# Test error % of (ResNet-110, ResNet-164) on CIFAR-10 by unit order.
PAPER_TABLE_2 = {
    "original": (6.61, 5.93),
    "bn_after_add": (8.17, 6.50),
    "relu_before_add": (7.84, 6.14),
    "relu_preact": (6.71, 5.91),
    "full_preact": (6.37, 5.46),
}
FAIL = "fail (>20)"


def shortcut_labels(model: str = "resnet110") -> list[str]:
    """`compare` labels for Table 1: each shortcut variant of `model`, gates at the paper's best -6."""
    return [model if v == "identity" else f"{model}:shortcut_variant={v}" for v in SHORTCUT_VARIANTS]


def order_labels(model: str = "resnet110") -> list[str]:
    """`compare` labels for Table 2: each unit order of `model` ("original" is the model itself)."""
    return [model if o == "original" else f"{model}:unit_order={o}" for o in UNIT_ORDERS]


def variant_of(label: str) -> dict:
    """The options a label sets: {} for a bare name."""
    from keras_resnet.models.option_text import is_model_variant, parse_model_variant

    return parse_model_variant(label)[1] if is_model_variant(label) else {}


def paper_error(options: dict) -> str:
    """The paper's CIFAR-10 test error for a variant, as text: "6.61", "fail (>20)" or "-"."""
    if "unit_order" in options and "shortcut_variant" not in options:
        errors = PAPER_TABLE_2.get(options["unit_order"])
        return "-" if errors is None else f"{errors[0]:.2f} (110) / {errors[1]:.2f} (164)"
    variant = options.get("shortcut_variant", "identity")
    gated = variant in ("gated", "gated_shortcut")
    key: tuple[str, float | None] = (variant, None)
    if gated:
        bias = float(options.get("gate_bias", -6.0))
        # the paper: "fail" for every gate init from 0 to -5
        key = ("gated", 0.0) if variant == "gated" and -5.0 <= bias <= 0.0 else (variant, bias)
    if key not in PAPER_TABLE_1:
        return "-"
    error = PAPER_TABLE_1[key]
    return FAIL if error is None else f"{error:.2f}"


def ablation_table(rows: list[dict]) -> str:
    """`compare_models` rows as a markdown table with the paper's ResNet-110 CIFAR-10 error beside."""
    lines = [
        "| model | figure | trainable parameters | final train error % | final test error % | "
        "best test error % | train s | paper CIFAR-10 error % |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        options = variant_of(row["model"])
        if row.get("residual") is False:
            figure, paper = "plain net, no shortcuts", "-"
        elif "unit_order" in options:
            figure, paper = UNIT_ORDERS[options["unit_order"]].figure, paper_error(options)
        else:
            variant = options.get("shortcut_variant", "identity")
            figure, paper = SHORTCUT_VARIANTS[variant], paper_error(options)
        cells = [
            row["model"],
            figure,
            f"{row['params']:,}",
            *(
                "-" if row.get(key) is None else f"{row[key]:.2f}"
                for key in ("final_train_error", "final_test_error", "best_test_error")
            ),
            f"{row['train_seconds']:.0f}",
            paper,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parameter_rows(model: str = "resnet110", **overrides: Any) -> list[dict]:
    """Trainable parameters and MACs of every shortcut variant and unit order of `model`."""
    from keras_resnet.models.complexity import model_stats
    from keras_resnet.models.named import build

    rows = []
    for label in dict.fromkeys(shortcut_labels(model) + order_labels(model)):
        options = variant_of(label)
        stats = model_stats(build(model, **options, **overrides))
        rows.append(
            {
                "model": label,
                "trainable_params": stats["trainable_params"],
                "macs": stats["macs"],
                "paper": paper_error(options),
            }
        )
    return rows
