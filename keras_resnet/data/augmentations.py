"""The `modern` recipe's input-side parts, Keras' own preprocessing layers run inside tf.data.

`keras.layers.RandAugment` acts on each training image after the paper's crop and flip, and
`keras.layers.MixUp` / `keras.layers.CutMix` on each training batch, whose labels then become
one-hot mixtures (with both on, each batch gets one of the two at random, as torchvision's
reference recipe does). Keras and TensorFlow are imported inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from keras_resnet.errors import InvalidInputError

if TYPE_CHECKING:
    import tensorflow as tf

RAND_AUGMENT_OPS = 2
"""Operations per image (RandAugment's N; torchvision's and Keras' default)."""


def rand_augment(dataset: tf.data.Dataset, *, factor: float, seed: int) -> tf.data.Dataset:
    """`dataset` of unbatched (image 0..255, label) with `keras.layers.RandAugment` on each image.

    Args:
        dataset: a tf.data dataset of (image, label), images float32 in 0..255.
        factor: RandAugment's strength in (0, 1] (Keras maps it to every op's range).
        seed: seeds the layer.
    """
    import keras
    import tensorflow as tf

    layer = keras.layers.RandAugment(value_range=(0, 255), num_ops=RAND_AUGMENT_OPS, factor=factor, seed=seed)
    return dataset.map(lambda x, y: (layer(x), y), num_parallel_calls=tf.data.AUTOTUNE)


def mix_batches(
    dataset: tf.data.Dataset, *, classes: int, mixup_alpha: float, cutmix_alpha: float, seed: int
) -> tf.data.Dataset:
    """A batched tf.data pipeline of (image, int label) with one-hot labels, mixed by
    `keras.layers.MixUp(alpha=mixup_alpha)` or `keras.layers.CutMix` with Beta(cutmix_alpha,
    cutmix_alpha) areas (0: off); with both on, each batch gets one of the two, at random.

    Args:
        dataset: batched (image, label) elements, labels int.
        classes: the number of classes (the one-hot depth).
        mixup_alpha: MixUp's Beta parameter; 0 turns MixUp off.
        cutmix_alpha: CutMix's Beta parameter; 0 turns CutMix off.
        seed: seeds the layers and the choice between them.
    """
    import keras
    import tensorflow as tf

    from keras_resnet.data import arrays

    if isinstance(dataset, (arrays.TrainBatches, arrays.EvalBatches)):
        raise InvalidInputError("MixUp and CutMix run in the tfdata pipeline only; use pipeline tfdata")
    layers = []
    if mixup_alpha:
        layers.append(keras.layers.MixUp(alpha=mixup_alpha, seed=seed))
    if cutmix_alpha:  # CutMix draws alpha from U(factor); (a, a) makes it Beta(a, a) exactly
        layers.append(keras.layers.CutMix(factor=(cutmix_alpha, cutmix_alpha), seed=seed))

    def mix(images, labels, choice):
        data = {"images": images, "labels": tf.one_hot(labels, classes)}
        mixed = [layer(data) for layer in layers]
        if len(mixed) == 1:
            return mixed[0]["images"], mixed[0]["labels"]
        pick = choice < 0.5
        return tuple(tf.where(pick, mixed[0][key], mixed[1][key]) for key in ("images", "labels"))

    choices = tf.data.Dataset.random(seed=seed + 1, rerandomize_each_iteration=True).map(
        lambda r: tf.cast(r % 1024, tf.float32) / 1024.0
    )
    return tf.data.Dataset.zip((dataset, choices)).map(
        lambda example, choice: mix(example[0], example[1], choice), num_parallel_calls=tf.data.AUTOTUNE
    )


def check_pipeline(kind: str, augmentations: dict[str, float]) -> None:
    """The batch augmentations are Keras layers in tf.data: refuse them on the NumPy pipeline.

    Args:
        kind: the pipeline, "tfdata" or "numpy".
        augmentations: {"RandAugment": factor, "MixUp": alpha, "CutMix": alpha}, 0 meaning off.
    """
    if kind == "numpy" and any(augmentations.values()):
        on = ", ".join(name for name, value in augmentations.items() if value)
        raise InvalidInputError(
            f"{on} run in the tfdata pipeline only; use pipeline tfdata (needs TensorFlow) or set "
            "them to 0 (--rand-augment 0 --mixup-alpha 0 --cutmix-alpha 0)"
        )
