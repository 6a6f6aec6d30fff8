"""Loss gradients of a Keras model without touching its state, on TensorFlow, JAX or PyTorch.

The gradient-flow argument of He et al. 2015 (section 4.1, plain vs residual nets) and 2016
(section 3, identity shortcuts carry the signal back unchanged) is a claim about per-layer
gradients. `loss_and_gradients` measures them with `model.stateless_call(..., training=True)`:
BatchNorm normalises with batch statistics as in training, but the updated moving statistics and
any advanced RNG state (for example `StochasticDepth.seed_generator`) are returned as new values
and thrown away, and no optimizer is stepped, so measuring never changes training.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import keras
import numpy as np
from keras import ops

from keras_resnet._utils.types import Tensor
from keras_resnet.errors import InvalidInputError

__all__ = ["GradientResult", "loss_and_gradients", "count_nonfinite", "default_loss"]


class GradientResult(NamedTuple):
    """`loss` (unscaled, a float) and `gradients`, numpy arrays aligned with
    `model.trainable_variables`; `loss_scale` is the scale divided out (1.0 without one)."""

    loss: float
    gradients: list
    loss_scale: float


def default_loss(model: keras.Model) -> Callable:
    """The loss the model was compiled with (`model.loss`) if it is one, else sparse categorical
    cross-entropy on the model's outputs (probabilities after a softmax head, logits otherwise)."""
    if getattr(model, "loss", None) is not None and not isinstance(model.loss, (dict, list, tuple)):
        return keras.losses.get(model.loss)
    last = model.layers[-1]
    activation = getattr(last, "activation", None)
    from_logits = activation is None or getattr(activation, "__name__", "") == "linear"
    return keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)


def _loss_scale(model: keras.Model, loss_scale: float | None) -> float:
    if loss_scale is not None:
        return float(loss_scale)
    optimizer = getattr(model, "optimizer", None)
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        scale = optimizer.dynamic_scale if optimizer.built else optimizer.initial_scale
        return float(ops.convert_to_numpy(scale))
    return 1.0


def loss_and_gradients(
    model: keras.Model,
    x: Tensor,
    y: Tensor,
    loss_fn: Callable | None = None,
    *,
    loss_scale: float | None = None,
) -> GradientResult:
    """Loss and its gradient with respect to every trainable variable, computed statelessly.

    `loss_fn(y_true, y_pred)` defaults to `default_loss(model)`; the model's own regularisation
    losses are added, as in training. Under mixed precision with a `LossScaleOptimizer` (or a given
    `loss_scale`) the loss is multiplied by the scale before differentiating, so float16
    gradients do not underflow, and the gradients are divided by it again: they are always the
    gradients of the unscaled loss. Gradients of variables the loss does not reach are zeros.
    """
    if not model.trainable_variables:
        raise InvalidInputError(f"model {model.name!r} has no trainable weights to take gradients of")
    loss_fn = loss_fn or default_loss(model)
    scale = _loss_scale(model, loss_scale)
    trainable = model.trainable_variables
    # Plain tensors, not variables: under tf.distribute a variable's `.value` is a distributed
    # variable that cannot be watched outside a replica context; reading it gives the primary copy.
    non_trainable = [_read(v) for v in model.non_trainable_variables]
    x, y = _native(x), _native(y)

    def scaled_loss(trainable_values, non_trainable_values, x, y, scale, replicas):
        y_pred, _, losses = model.stateless_call(
            trainable_values, non_trainable_values, x, training=True, return_losses=True
        )
        loss = ops.mean(ops.cast(loss_fn(y, y_pred), "float32"))  # a per-sample loss function too
        loss = loss * replicas
        for extra in losses:
            loss = loss + ops.cast(extra, "float32")
        return loss * scale, loss

    backend = keras.backend.backend()
    args = (non_trainable, x, y, np.float32(scale), np.float32(_replica_share(loss_fn)))
    values = [_read(v) for v in trainable]
    if backend == "tensorflow":
        loss, grads = _compiled(model, loss_fn, lambda: _tensorflow(scaled_loss))(values, *args)
    elif backend == "jax":
        loss, grads = _compiled(model, loss_fn, lambda: _jax(scaled_loss))(values, *args)
    elif backend == "torch":
        loss, grads = _torch(scaled_loss, trainable, *args)
    else:
        raise NotImplementedError(f"gradients are not implemented for the {backend} backend")
    grads = [
        np.zeros(v.shape, "float32") if g is None else ops.convert_to_numpy(g).astype("float32") / scale
        for v, g in zip(trainable, grads)
    ]
    return GradientResult(float(ops.convert_to_numpy(loss)), grads, scale)


def _replica_share(loss_fn: Callable) -> float:
    """Inside a tf.distribute scope a reduced Keras loss comes out divided by the replica count
    (each replica's share of the global mean); this factor undoes that, so the measured loss and
    gradients are those of the probe batch's mean loss under any strategy."""
    if (
        keras.backend.backend() != "tensorflow"
        or not isinstance(loss_fn, keras.losses.Loss)
        or loss_fn.reduction in (None, "none", "sum")
    ):
        return 1.0
    import tensorflow as tf

    return float(tf.distribute.get_strategy().num_replicas_in_sync)


def _read(variable):
    """A variable's current value as a tensor (`ops.convert_to_tensor` keeps a tf.distribute
    variable a variable; TensorFlow's own conversion reads it)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.convert_to_tensor(variable.value)
    return variable.value


def _native(batch):
    """A TensorFlow tensor (a tf.data batch) as numpy on other backends: jax.jit and torch take
    numpy but not TensorFlow tensors; anything else is passed through as it is."""
    if keras.backend.backend() != "tensorflow" and type(batch).__module__.startswith("tensorflow"):
        return np.asarray(batch)
    return batch


# Op by op, one gradient costs several training steps: the gradient function is compiled once per
# model and loss (tf.function / jax.jit) and reused; a probe batch of fixed shape never retraces.
# TensorFlow compiles from a model's second measurement on (`_tensorflow`).
_COMPILED: dict = {}


def _compiled(model, loss_fn, build):
    key = (id(model), id(loss_fn))
    cached = _COMPILED.get(key)
    if cached is None or cached[0] is not model or cached[1] is not loss_fn:
        if len(_COMPILED) > 8:
            _COMPILED.clear()
        cached = _COMPILED[key] = (model, loss_fn, build())
    return cached[2]


def _tensorflow(scaled_loss):
    """The first call runs eagerly, later calls a tf.function traced on the second: a model measured
    once (the depth table of `gradient-flow`) would pay for a trace it never reuses, and a loop over
    models would make TensorFlow warn of retracing; a callback measuring every epoch traces once."""
    import tensorflow as tf

    def loss_and_grads(values, *args):
        with tf.GradientTape() as tape:
            tape.watch(values)
            scaled, loss = scaled_loss(values, *args)
        return loss, tape.gradient(scaled, values, unconnected_gradients=tf.UnconnectedGradients.ZERO)

    traced = tf.function(loss_and_grads, reduce_retracing=True)
    calls = 0

    def eager_once_then_traced(values, *args):
        nonlocal calls
        calls += 1
        return (loss_and_grads if calls == 1 else traced)(values, *args)

    return eager_once_then_traced


def _jax(scaled_loss):
    import jax

    value_and_grad = jax.jit(jax.value_and_grad(scaled_loss, has_aux=True))

    def loss_and_grads(values, *args):
        (_, loss), grads = value_and_grad(values, *args)
        return loss, grads

    return loss_and_grads


def _torch(scaled_loss, trainable, *args):  # pragma: no cover - PyTorch is optional
    import torch

    values = [v.value.detach().clone().requires_grad_(True) for v in trainable]
    scaled, loss = scaled_loss(values, *args)
    grads = torch.autograd.grad(scaled, values, allow_unused=True)
    return loss.detach(), [None if g is None else g.detach() for g in grads]


def count_nonfinite(gradients: Iterable[np.ndarray]) -> int:
    """How many gradient entries are NaN or infinite."""
    return int(sum(np.size(g) - np.count_nonzero(np.isfinite(g)) for g in gradients))
