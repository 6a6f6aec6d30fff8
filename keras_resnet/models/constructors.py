"""The named networks, one line each; every one is `build(name, **options)` of the spec table.

Each takes the keras.applications arguments (`include_top`, `weights`, `input_tensor`,
`input_shape`, `pooling`, `classes`, `classifier_activation`, `name`) and any `ResNet` option.
"""

from keras_resnet.models.resnet import build

__all__ = [
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnet200",
    "resnet20",
    "resnet32",
    "resnet44",
    "resnet56",
    "resnet110",
    "resnet1202",
    "plain20",
    "plain32",
    "plain44",
    "plain56",
    "plain110",
    "plain18",
    "plain34",
    "resnet50_v2",
    "resnet101_v2",
    "resnet152_v2",
    "preact_resnet110",
    "preact_resnet164",
    "preact_resnet1001",
]


def resnet18(**kwargs):
    """18-layer ImageNet net, basic blocks 2-2-2-2 (He et al. 2015, Table 1)."""
    return build("resnet18", **kwargs)


def resnet34(**kwargs):
    """34-layer ImageNet net, basic blocks 3-4-6-3 (He et al. 2015, Table 1)."""
    return build("resnet34", **kwargs)


def resnet50(**kwargs):
    """50-layer ImageNet net, bottleneck blocks 3-4-6-3 (He et al. 2015, Table 1)."""
    return build("resnet50", **kwargs)


def resnet101(**kwargs):
    """101-layer ImageNet net, bottleneck blocks 3-4-23-3 (He et al. 2015, Table 1)."""
    return build("resnet101", **kwargs)


def resnet152(**kwargs):
    """152-layer ImageNet net, bottleneck blocks 3-8-36-3 (He et al. 2015, Table 1)."""
    return build("resnet152", **kwargs)


def resnet200(**kwargs):
    """200-layer ImageNet net, bottleneck blocks 3-24-36-3 (He et al. 2016)."""
    return build("resnet200", **kwargs)


def resnet20(**kwargs):
    """20-layer CIFAR net, basic blocks 3-3-3 (He et al. 2015, section 4.2)."""
    return build("resnet20", **kwargs)


def resnet32(**kwargs):
    """32-layer CIFAR net, basic blocks 5-5-5 (He et al. 2015, section 4.2)."""
    return build("resnet32", **kwargs)


def resnet44(**kwargs):
    """44-layer CIFAR net, basic blocks 7-7-7 (He et al. 2015, section 4.2)."""
    return build("resnet44", **kwargs)


def resnet56(**kwargs):
    """56-layer CIFAR net, basic blocks 9-9-9 (He et al. 2015, section 4.2)."""
    return build("resnet56", **kwargs)


def resnet110(**kwargs):
    """110-layer CIFAR net, basic blocks 18-18-18 (He et al. 2015, section 4.2)."""
    return build("resnet110", **kwargs)


def resnet1202(**kwargs):
    """1202-layer CIFAR net, basic blocks 200-200-200 (He et al. 2015, section 4.2)."""
    return build("resnet1202", **kwargs)


def plain20(**kwargs):
    """20-layer plain (no shortcuts) CIFAR net, basic blocks 3-3-3 (He et al. 2015, section 4.2)."""
    return build("plain20", **kwargs)


def plain32(**kwargs):
    """32-layer plain (no shortcuts) CIFAR net, basic blocks 5-5-5 (He et al. 2015, section 4.2)."""
    return build("plain32", **kwargs)


def plain44(**kwargs):
    """44-layer plain (no shortcuts) CIFAR net, basic blocks 7-7-7 (He et al. 2015, section 4.2)."""
    return build("plain44", **kwargs)


def plain56(**kwargs):
    """56-layer plain (no shortcuts) CIFAR net, basic blocks 9-9-9 (He et al. 2015, section 4.2)."""
    return build("plain56", **kwargs)


def plain110(**kwargs):
    """110-layer plain (no shortcuts) CIFAR net, basic blocks 18-18-18 (He et al. 2015, section 4.2)."""
    return build("plain110", **kwargs)


def plain18(**kwargs):
    """18-layer plain (no shortcuts) ImageNet net, basic blocks 2-2-2-2 (He et al. 2015, Table 1)."""
    return build("plain18", **kwargs)


def plain34(**kwargs):
    """34-layer plain (no shortcuts) ImageNet net, basic blocks 3-4-6-3 (He et al. 2015, Table 1)."""
    return build("plain34", **kwargs)


def resnet50_v2(**kwargs):
    """50-layer pre-activation ImageNet net, bottleneck blocks 3-4-6-3 (He et al. 2015, Table 1)."""
    return build("resnet50_v2", **kwargs)


def resnet101_v2(**kwargs):
    """101-layer pre-activation ImageNet net, bottleneck blocks 3-4-23-3 (He et al. 2015, Table 1)."""
    return build("resnet101_v2", **kwargs)


def resnet152_v2(**kwargs):
    """152-layer pre-activation ImageNet net, bottleneck blocks 3-8-36-3 (He et al. 2015, Table 1)."""
    return build("resnet152_v2", **kwargs)


def preact_resnet110(**kwargs):
    """110-layer pre-activation CIFAR net, basic blocks 18-18-18 (He et al. 2016)."""
    return build("preact_resnet110", **kwargs)


def preact_resnet164(**kwargs):
    """164-layer pre-activation CIFAR net, bottleneck blocks 18-18-18 (He et al. 2016)."""
    return build("preact_resnet164", **kwargs)


def preact_resnet1001(**kwargs):
    """1001-layer pre-activation CIFAR net, bottleneck blocks 111-111-111 (He et al. 2016)."""
    return build("preact_resnet1001", **kwargs)
