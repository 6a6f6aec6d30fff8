"""Per-layer gradient norms: stateless measurement, the optimizer tap, the log writer and
`GradientNormCallback` (He et al. 2015, section 4.1: how residual nets carry the gradient back)."""
