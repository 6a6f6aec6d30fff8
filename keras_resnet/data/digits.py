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
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images[..., None].astype("float32") * (255.0 / 16.0)
    resized = resize_bilinear(images, (size, size))
    x = np.repeat(np.clip(np.round(resized), 0, 255).astype("uint8"), 3, axis=-1)
    return x, bunch.target.astype("int64"), tuple(str(name) for name in bunch.target_names)


def resize_bilinear(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of float32 NHWC `images` with half-pixel centres, in NumPy.

    The same arithmetic as `tf.image.resize(..., method="bilinear")` (no antialiasing), so the
    digits come out identical with or without TensorFlow.
    """

    def taps(size_in: int, size_out: int):
        position = (np.arange(size_out, dtype=np.float32) + 0.5) * np.float32(size_in / size_out) - 0.5
        floor = np.floor(position)
        low = np.maximum(floor, 0).astype(np.int64)
        high = np.minimum(np.ceil(position), size_in - 1).astype(np.int64)
        return low, high, (position - floor).astype(np.float32)

    rows_low, rows_high, row_weight = taps(images.shape[1], size[0])
    cols_low, cols_high, col_weight = taps(images.shape[2], size[1])

    def across(rows):
        left, right = rows[:, :, cols_low], rows[:, :, cols_high]
        return left + (right - left) * col_weight[None, None, :, None]

    top, bottom = across(images[:, rows_low]), across(images[:, rows_high])
    return top + (bottom - top) * row_weight[None, :, None, None]


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
