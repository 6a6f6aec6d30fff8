"""Small serialisable layers the residual units need and Keras does not ship.

`ZeroPadShortcut` is the paper's parameter-free option A shortcut (He et al. 2015, section 3.3);
`StochasticDepth` drops whole residual branches per sample (Huang et al. 2016). Both are written
with `keras.ops` only, so they run on every Keras backend and reload with no `custom_objects`.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_resnet")
class ZeroPadShortcut(keras.layers.Layer):
    """Identity shortcut that subsamples by `stride` and zero-pads the channels up to `channels`."""

    def __init__(
        self, stride: int = 1, channels: int | None = None, data_format: str = "channels_last", **kwargs
    ):
        super().__init__(**kwargs)
        self.stride = int(stride)
        self.channels = channels
        self.data_format = data_format

    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def call(self, inputs):
        x = inputs
        s = self.stride
        if s > 1:
            x = x[:, ::s, ::s, :] if self.data_format == "channels_last" else x[:, :, ::s, ::s]
        extra = (self.channels or 0) - x.shape[self._channel_axis()]
        if extra > 0:
            pad = [[0, 0]] * 4
            pad[self._channel_axis()] = [0, extra]
            x = ops.pad(x, pad)
        return x

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        spatial = (1, 2) if self.data_format == "channels_last" else (2, 3)
        for axis in spatial:
            if shape[axis] is not None:
                shape[axis] = -(-shape[axis] // self.stride)
        axis = self._channel_axis()
        shape[axis] = max(shape[axis], self.channels or 0)
        return tuple(shape)

    def get_config(self):
        return {
            **super().get_config(),
            "stride": self.stride,
            "channels": self.channels,
            "data_format": self.data_format,
        }


@keras.saving.register_keras_serializable(package="keras_resnet")
class StochasticDepth(keras.layers.Layer):
    """Zeroes a residual branch for a random `rate` share of samples in training, rescaling the rest.

    At inference it is the identity, so the expected block output matches training.
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"StochasticDepth rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if not training or self.rate == 0.0:
            return inputs
        keep = 1.0 - self.rate
        shape = (ops.shape(inputs)[0],) + (1,) * (len(inputs.shape) - 1)
        noise = keras.random.uniform(shape, seed=self.seed_generator, dtype=inputs.dtype)
        return inputs * ops.floor(keep + noise) / keep

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
