"""TensorFlow n-d tensors in and out of daphnelib, with the shape restored.

    python examples/tensorflow_tensors.py
"""

# pyright: basic
# (TensorFlow ships no type information, so strict mode would flag every tf.* call.)

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # quiet TensorFlow start-up logs

import tensorflow as tf

from daphnelib import DaphneContext

dc = DaphneContext()
t = tf.reshape(tf.range(24, dtype=tf.float32), (2, 3, 4))

# The tensor enters through DLPack without a copy, as a (2, 12) DAPHNE matrix.
X, shape = dc.from_tensorflow(t, return_shape=True)
print("original shape:", shape, "-> DAPHNE matrix", tuple(X.compute().shape))

Y = (X - X.mean()).compute(asTensorFlow=True, shape=shape)
assert bool(tf.reduce_all(Y == t - tf.reduce_mean(t)))
print("X - mean(X) back as", tuple(Y.shape), Y.dtype.name)
