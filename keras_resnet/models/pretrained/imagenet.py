"""ImageNet's 1,000 class names, in the order every source's classifier outputs them.

`imagenet_classes.txt` holds the ILSVRC-2012 names as torchvision ships them
(`torchvision/models/_meta.py`, `_IMAGENET_CATEGORIES`, BSD-3-Clause), one per line, in the sorted
WordNet-synset order that timm (`timm/data/_info/imagenet_synsets.txt`) and keras.applications
use too, so one list serves every source.
"""

from __future__ import annotations

import functools
from importlib import resources


@functools.cache
def imagenet_class_names() -> tuple[str, ...]:
    """The 1,000 ImageNet class names, index i naming output i."""
    text = resources.files(__package__).joinpath("imagenet_classes.txt").read_text(encoding="utf-8")
    names = tuple(line for line in text.splitlines() if line)
    assert len(names) == 1000, "imagenet_classes.txt must hold 1000 names"
    return names
