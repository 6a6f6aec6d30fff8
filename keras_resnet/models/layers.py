"""Small serialisable layers the residual units need and Keras does not ship.

`ZeroPadShortcut` is the paper's parameter-free option A shortcut (He et al. 2015, section 3.3);
`StochasticDepth` drops whole residual branches per sample (Huang et al. 2016). Both are written
with `keras.ops` only, so they run on every Keras backend and reload with no `custom_objects`.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_resnet._utils.types import Tensor
from keras_resnet.errors import InvalidInputError


@keras.saving.register_keras_serializable(package="keras_resnet")
class ZeroPadShortcut(keras.layers.Layer):
    """Identity shortcut that subsamples by `stride` and zero-pads the channels up to `channels`.

    Args:
        stride: keep every `stride`-th row and column (1: no subsampling).
        channels: pad the channel axis with zeros up to this many; None keeps the input's.
        data_format: "channels_last" or "channels_first", as the surrounding convolutions.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`, ...).
    """

    def __init__(
        self,
        stride: int = 1,
        channels: int | None = None,
        data_format: str = "channels_last",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.stride = int(stride)
        self.channels = channels
        self.data_format = data_format

    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def call(self, inputs: Tensor) -> Tensor:
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

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        shape = list(input_shape)
        spatial = (1, 2) if self.data_format == "channels_last" else (2, 3)
        for axis in spatial:
            size = shape[axis]
            if size is not None:
                shape[axis] = -(-size // self.stride)
        axis = self._channel_axis()
        channels = shape[axis]
        if channels is not None:
            shape[axis] = max(channels, self.channels or 0)
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
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

    Args:
        rate: the share of samples whose branch is dropped, in [0, 1).
        seed: seed of the layer's random generator; None draws one.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`, ...).
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise InvalidInputError(f"StochasticDepth rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        if not training or self.rate == 0.0:
            return inputs
        keep = 1.0 - self.rate
        shape = (ops.shape(inputs)[0],) + (1,) * (len(inputs.shape) - 1)
        noise = keras.random.uniform(shape, seed=self.seed_generator, dtype=inputs.dtype)
        return inputs * ops.floor(keep + noise) / keep

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
