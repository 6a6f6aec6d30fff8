"""The networks: layers, blocks, the spec table, the `ResNet` builder, named constructors,
complexity counts, and weights (He et al. 2015, 2016). Imports only Keras, never TensorFlow."""
