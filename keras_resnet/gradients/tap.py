"""Read the gradients an optimizer actually applies, inside `fit`'s traced train step.

Keras callbacks never see gradients. `AppliedGradientTap` wraps the optimizer's `apply` (the
innermost optimizer's, so under a `LossScaleOptimizer` it sees the unscaled gradients of the steps
that are applied) and stores, at every step, each weight's squared gradient norm and the count of
non-finite gradient entries in optimizer variables. Being optimizer variables, they travel through
`tf.function` and `jax.jit` train steps as state (a plain attribute would be frozen into the trace);
they are left out of saved optimizer state, so checkpoints load with or without the tap. A tap
stays on its optimizer (`AppliedGradientTap.on` finds it again), because installing one makes `fit`
trace its train step anew; `remove()` takes everything back out.
"""

from __future__ import annotations

import sys

import keras

from keras_resnet.errors import InvalidInputError

__all__ = ["AppliedGradientTap"]


class AppliedGradientTap:
    """Installs on `model.optimizer`; `read()` returns (squared norms per trainable weight in
    `model.trainable_variables` order, non-finite entries) of the last applied step."""

    ATTRIBUTE = "_keras_resnet_gradient_tap"

    @classmethod
    def on(cls, model) -> AppliedGradientTap:
        """The tap already on `model`'s optimizer, or a new one (the next `fit` retraces)."""
        tap = getattr(_innermost(model.optimizer), cls.ATTRIBUTE, None)
        if tap is None or tap.count != len(model.trainable_variables):
            if tap is not None:
                tap.remove()
            tap = cls(model)
            model.train_function = None  # a cached train step would not call the tap
        return tap

    def __init__(self, model):
        optimizer = model.optimizer
        if optimizer is None:
            raise InvalidInputError("mode='train' reads the optimizer's gradients; compile the model first")
        _refuse_tf_replicas(model)
        self.outer = optimizer
        self.inner = _innermost(optimizer)
        self.count = len(model.trainable_variables)
        with keras.name_scope("gradient_tap"):
            self.squared_norms = self.inner.add_variable((self.count,), dtype="float32", name="squared_norms")
            self.nonfinite = self.inner.add_variable((), dtype="float32", name="nonfinite")
        self._added = (self.squared_norms, self.nonfinite)
        self._patch()
        setattr(self.inner, self.ATTRIBUTE, self)

    def read(self):
        """(numpy squared norms, non-finite count) as of the last `apply`."""
        return (
            keras.ops.convert_to_numpy(self.squared_norms).astype("float64"),
            int(keras.ops.convert_to_numpy(self.nonfinite)),
        )

    def remove(self) -> None:
        """Restore the optimizer's own methods and variables (reset the model's `train_function`
        afterwards: a traced step still holds the tap)."""
        for name in ("apply", "save_own_variables", "load_own_variables"):
            self._owner(name).__dict__.pop(name, None)
        self.inner.__dict__.pop(self.ATTRIBUTE, None)
        self._take_out()

    # -- internals ------------------------------------------------------------------------------

    def _owner(self, name):
        return self.inner if name == "apply" else self.outer

    def _take_out(self) -> list:
        """Remove the tap's variables from the optimizer's list (in place: on TensorFlow it is a
        tracked list wrapper); returns (index, variable) pairs for `_put_back`."""
        variables = self.inner._variables
        taken = [(i, v) for i, v in enumerate(variables) if any(v is a for a in self._added)]
        for i, _ in reversed(taken):
            del variables[i]
        return taken

    def _put_back(self, taken) -> None:
        for i, variable in taken:
            self.inner._variables.insert(i, variable)

    def _record(self, grads):
        if len(grads) != self.count:
            raise ValueError(
                f"the optimizer applies {len(grads)} gradients but the model has "
                f"{self.count} trainable weights; the tap cannot tell them apart"
            )
        ops = keras.ops
        squares, bad = [], 0.0
        for g in grads:
            if g is None:
                squares.append(ops.zeros((), "float32"))
                continue
            g = ops.cast(g, "float32")
            squares.append(ops.sum(ops.square(g)))
            bad = bad + ops.sum(ops.cast(ops.logical_not(ops.isfinite(g)), "float32"))
        self.squared_norms.assign(ops.stack(squares))
        self.nonfinite.assign(bad)

    def _patch(self) -> None:
        apply = self.inner.apply
        save, load = self.outer.save_own_variables, self.outer.load_own_variables

        def tapped_apply(grads, trainable_variables=None):
            self._record(list(grads))
            return apply(grads, trainable_variables)

        def without_tap(method):
            def call(store):
                taken = self._take_out()
                try:
                    return method(store)
                finally:
                    self._put_back(taken)

            return call

        self.inner.apply = tapped_apply
        self.outer.save_own_variables = without_tap(save)
        self.outer.load_own_variables = without_tap(load)


def _innermost(optimizer):
    """The optimizer that applies the gradients: under loss-scale wrappers, the wrapped one."""
    while hasattr(optimizer, "inner_optimizer"):
        optimizer = optimizer.inner_optimizer
    return optimizer


def _refuse_tf_replicas(model) -> None:
    """Under tf.distribute the optimizer sees each replica's share before the all-reduce."""
    if keras.backend.backend() != "tensorflow" or "tensorflow" not in sys.modules:
        return
    strategy = getattr(model, "distribute_strategy", None)
    if strategy is not None and strategy.num_replicas_in_sync > 1:
        raise InvalidInputError(
            "mode='train' reads the gradients the optimizer applies, which under a "
            "tf.distribute strategy with several replicas are per-replica shares; "
            "use mode='probe' (it measures the whole batch's gradients)"
        )
