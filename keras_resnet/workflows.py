"""Jobs that span the layers below: what `keras-resnet train` does, composed in one place.

Training (`training.train`) neither draws nor exports, since data flows one way through the
package; `train_run` trains, then draws the run's figures, then exports its best checkpoint, the
three steps every `keras-resnet train` ends with.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any

from keras_resnet.training.config import TrainConfig

DEFAULT_EXPORT_QUANTIZE = ("float32", "int8")


def train_run(
    config: TrainConfig,
    *,
    out: str,
    resume: bool = False,
    overwrite: bool = False,
    verbose: str | int = "auto",
    export: bool = True,
    export_quantize: str | Sequence[str] = DEFAULT_EXPORT_QUANTIZE,
) -> dict[str, Any]:
    """Train (or resume) the run in `out`, draw its figures, and export its best checkpoint into
    `<out>/export/` (SavedModel + `export_quantize` TFLite files, checked against Keras) unless
    `export=False` or an export is already there. Returns the run's metrics, plus `export`
    (folder, source checkpoint, files) when one was written."""
    from keras_resnet.experiments.run_figures import draw_run_figures
    from keras_resnet.export.options import parse_quantize
    from keras_resnet.training import distribution
    from keras_resnet.training.fit import train
    from keras_resnet.training.run_folder import RunFolder

    if export and importlib.util.find_spec("tensorflow") is None:
        print("note: TensorFlow is not installed; no SavedModel/TFLite export (pip install tensorflow)")
        export = False
    if export:  # checked before training, so a typo costs no training time
        export_quantize = parse_quantize(export_quantize)
    run = RunFolder(out)
    finished_before = resume and run.is_finished()
    metrics = train(config, out=out, resume=resume, overwrite=overwrite, verbose=verbose)
    if not distribution.is_chief():
        return metrics
    pretrained = f", fine-tuned from {config.weights}" if config.weights else ""
    draw_run_figures(run.root, title=f"{config.model} on {config.dataset}{pretrained}")
    if export and not (finished_before and run.export.exists()):
        from keras_resnet.export.runs import export_run

        report = export_run(run.root, quantize=export_quantize, verbose=verbose != 0)
        if report is not None:
            summary = {
                "out_dir": report["out_dir"],
                "source": report["source"],
                "files": [row["file"] for row in report["files"]],
            }
            metrics = run.update_metrics(export=summary)
    return metrics
