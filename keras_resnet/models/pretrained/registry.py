"""The table of published ImageNet weights: source -> model -> file, hash, layout and accuracy.

Each entry says where a source publishes one model's weights (URL and hash, checked on download),
the state layout its tensors are named in, the architecture options it was trained with (so the
builder can pick them, or refuse a model built without them), the published top-1 and the
preprocessing it expects. `"imagenet"` resolves to the entry with the best published top-1.
Sources: torchvision's `models/resnet.py` weight enums (best weights per depth), timm's ResNet
Strikes Back `a1_in1k` weights on the Hugging Face hub, and keras.applications' `WEIGHTS_HASHES`.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
from typing import TypeGuard

from keras_resnet.errors import InvalidInputError
from keras_resnet.models.specs import KERAS_APPLICATIONS_OPTIONS

IMAGENET_MEAN_STD = ((0.485 * 255, 0.456 * 255, 0.406 * 255), (0.229 * 255, 0.224 * 255, 0.225 * 255))
# keras.applications "caffe" mode subtracts this BGR mean; we take RGB and reverse conv1's kernel.
CAFFE_MEAN_RGB_STD = ((123.68, 116.779, 103.939), (1.0, 1.0, 1.0))
# keras.applications "tf" mode (ResNet V2): scale pixels to [-1, 1].
TF_MEAN_STD = ((127.5, 127.5, 127.5), (127.5, 127.5, 127.5))
TORCH_LAYOUT_OPTIONS = types.MappingProxyType({"version": "v1.5", "conv_bias": False, "bn_epsilon": 1e-5})
LAYOUTS = ("torch", "keras.applications")


@dataclasses.dataclass(frozen=True)
class WeightSource:
    """One published set of ImageNet weights for one of our named models."""

    source: str
    model: str
    url: str
    file_hash: str | None  # None: not published in a form we could check (said in the README)
    hash_kind: str  # "sha256", "sha256-prefix" (torchvision's file names), "md5", or "unknown"
    layout: str  # "torch" (torchvision/timm state dicts) or "keras.applications" (layer names)
    options: types.MappingProxyType
    top1: float | None
    top1_note: str
    normalization: tuple  # (mean, std) per RGB channel on 0-255 pixels
    resize: int  # shorter side before the centre crop
    crop: int
    interpolation: str

    @property
    def file_name(self) -> str:
        """The cache file name: unique per source and model, as the source names the file."""
        name = self.url.rsplit("/", 1)[-1]
        return f"{self.source}-{self.model}-{name}" if self.source == "timm" else name


def _torchvision(model: str, file: str, top1: float, resize: int) -> WeightSource:
    return WeightSource(
        source="torchvision",
        model=model,
        url=f"https://download.pytorch.org/models/{file}",
        file_hash=file.rsplit("-", 1)[1].split(".")[0],
        hash_kind="sha256-prefix",
        layout="torch",
        options=TORCH_LAYOUT_OPTIONS,
        top1=top1,
        top1_note="torchvision's published acc@1 (224 px)",
        normalization=IMAGENET_MEAN_STD,
        resize=resize,
        crop=224,
        interpolation="bilinear",
    )


def _timm(model: str, top1: float | None) -> WeightSource:
    return WeightSource(
        source="timm",
        model=model,
        url=f"https://huggingface.co/timm/{model}.a1_in1k/resolve/main/model.safetensors",
        file_hash=None,
        hash_kind="unknown",
        layout="torch",
        options=TORCH_LAYOUT_OPTIONS,
        top1=top1,
        top1_note="ResNet Strikes Back (Wightman et al. 2021), procedure A1, 224 px",
        normalization=IMAGENET_MEAN_STD,
        resize=236,  # timm's crop_pct 0.95: 224 / 0.95
        crop=224,
        interpolation="bicubic",
    )


def _keras_applications(model: str, weights_name: str, md5: str, top1: float) -> WeightSource:
    version = "v2" if model.endswith("_v2") else "v1"
    return WeightSource(
        source="keras.applications",
        model=model,
        url=(
            "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
            f"{weights_name}_weights_tf_dim_ordering_tf_kernels.h5"
        ),
        file_hash=md5,
        hash_kind="md5",
        layout="keras.applications",
        options=types.MappingProxyType(KERAS_APPLICATIONS_OPTIONS[version]),
        top1=top1,
        top1_note="keras.io/api/applications table",
        normalization=TF_MEAN_STD if version == "v2" else CAFFE_MEAN_RGB_STD,
        resize=256,
        crop=224,
        interpolation="bilinear",
    )


_ENTRIES = (
    _torchvision("resnet18", "resnet18-f37072fd.pth", 69.758, 256),
    _torchvision("resnet34", "resnet34-b627a593.pth", 73.314, 256),
    _torchvision("resnet50", "resnet50-11ad3fa6.pth", 80.858, 232),
    _torchvision("resnet101", "resnet101-cd907fc2.pth", 81.886, 232),
    _torchvision("resnet152", "resnet152-f82ba261.pth", 82.284, 232),
    _timm("resnet18", 71.5),
    _timm("resnet34", 76.4),
    _timm("resnet50", 80.4),
    _timm("resnet101", 81.5),
    _timm("resnet152", 82.0),
    # md5 hashes copied from the installed keras/src/applications/resnet.py WEIGHTS_HASHES
    _keras_applications("resnet50", "resnet50", "2cb95161c43110f7111970584f804107", 74.9),
    _keras_applications("resnet101", "resnet101", "f1aeb4b969a6efcfb50fad2f0c20cfc5", 76.4),
    _keras_applications("resnet152", "resnet152", "100835be76be38e30d865e96f2aaae62", 76.6),
    _keras_applications("resnet50_v2", "resnet50v2", "3ef43a0b657b3be2300d5770ece849e0", 76.0),
    _keras_applications("resnet101_v2", "resnet101v2", "6343647c601c52e1368623803854d971", 77.2),
    _keras_applications("resnet152_v2", "resnet152v2", "a49b44d1979771252814e80f8ec446f9", 78.0),
)
WEIGHT_SOURCES: dict[str, dict[str, WeightSource]] = {}
for _entry in _ENTRIES:
    WEIGHT_SOURCES.setdefault(_entry.source, {})[_entry.model] = _entry


def source_names() -> tuple[str, ...]:
    """Every name `weights=` accepts besides a file path."""
    return (*WEIGHT_SOURCES, "imagenet")


def is_source_name(weights: object) -> TypeGuard[str]:
    """True for a named source ("torchvision", "timm", "keras.applications", "imagenet").

    Args:
        weights: the `weights=` argument.
    """
    return isinstance(weights, str) and weights in source_names()


def looks_like_source_name(weights: object) -> TypeGuard[str]:
    """True for a string that is no file path but was meant as a source name (a typo, say).

    Args:
        weights: the `weights=` argument.
    """
    return isinstance(weights, str) and "/" not in weights and "." not in weights.replace("keras.app", "")


def resolve(model: str, source: str) -> WeightSource:
    """The entry for `model` from `source` ("imagenet": the best published top-1), or a clear error.

    Args:
        model: a model name such as "resnet50".
        source: a weight source name such as "torchvision".
    """
    names = source_names()
    if source not in names:
        close = difflib.get_close_matches(source, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InvalidInputError(
            f"unknown weight source {source!r}{hint}; choose one of "
            f"{', '.join(map(repr, names))} or the path of a weights file"
        )
    candidates = (
        [table[model] for table in WEIGHT_SOURCES.values() if model in table]
        if source == "imagenet"
        else [WEIGHT_SOURCES[source].get(model)]
    )
    candidates = [entry for entry in candidates if entry is not None]
    if not candidates:
        offered = sorted({m for table in WEIGHT_SOURCES.values() for m in table if source == "imagenet"})
        offered = offered or sorted(WEIGHT_SOURCES[source])
        raise InvalidInputError(
            f"weight source {source!r} publishes no weights for {model!r}; it has {', '.join(offered)}"
        )
    return max(candidates, key=lambda entry: entry.top1 or 0.0)


def register(entry: WeightSource) -> None:
    """Add `entry` to the table (for a private mirror, or a test's random-weight file).

    Args:
        entry: the weights to add to the table.
    """
    WEIGHT_SOURCES.setdefault(entry.source, {})[entry.model] = entry


def unregister(entry: WeightSource) -> None:
    """Remove what `register` added.

    Args:
        entry: weights added with `register`.
    """
    WEIGHT_SOURCES.get(entry.source, {}).pop(entry.model, None)
    if entry.source in WEIGHT_SOURCES and not WEIGHT_SOURCES[entry.source]:
        del WEIGHT_SOURCES[entry.source]


def table_rows() -> list[dict]:
    """Every entry as a row for the README / results table."""
    rows = []
    for table in WEIGHT_SOURCES.values():
        for entry in table.values():
            row = {field.name: getattr(entry, field.name) for field in dataclasses.fields(entry)}
            row["options"] = dict(entry.options)
            row["best_for_imagenet"] = resolve(entry.model, "imagenet") == entry
            rows.append(row)
    return rows
