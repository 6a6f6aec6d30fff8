"""scikit-learn's bundled handwritten digits as CIFAR-sized images: the one digits loader.

The 1,797 real 8x8 digits (pixel values 0..16) are scaled to 0..255, resized to 32x32 with
bilinear interpolation, rounded to uint8 and copied to three channels: the input size and format
of the paper's CIFAR-10 networks (He et al. 2015, section 4.2), with no download. Training data,
gradient-flow batches and export images all come from here, so every experiment sees the same images.
"""

from __future__ import annotations

import numpy as np

IMAGE_SIZE = 32


def digits_arrays(size: int = IMAGE_SIZE) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(images uint8 (1797, size, size, 3), labels int64 (1797,), class names "0".."9")."""
    import tensorflow as tf
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images[..., None].astype("float32") * (255.0 / 16.0)
    resized = tf.image.resize(images, (size, size), method="bilinear").numpy()
    x = np.repeat(np.clip(np.round(resized), 0, 255).astype("uint8"), 3, axis=-1)
    return x, bunch.target.astype("int64"), tuple(str(name) for name in bunch.target_names)


def digits_batch(
    batch_size: int = 64, *, seed: int = 0, normalize: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """A fixed random (x, y) batch of the digits: float32 images (normalised by the whole set's
    mean and std unless `normalize=False`, then 0..255) and int32 labels."""
    x, y, _ = digits_arrays()
    images = x.astype("float32")
    if normalize:
        images = (images - images.mean()) / images.std()
    order = np.random.default_rng(seed).permutation(len(images))[:batch_size]
    return images[order], y[order].astype("int32")
