"""Type aliases the annotations share, for what Keras gives no public type.

`Tensor` is any backend tensor (tf.Tensor, jax.Array, torch.Tensor, NumPy array) or a symbolic
`keras.KerasTensor`: layers and measurement code accept all of them, so the alias is `Any`.
"""

from __future__ import annotations

from typing import Any, TypeAlias

Tensor: TypeAlias = Any
"""A backend tensor, NumPy array or symbolic `keras.KerasTensor`."""
