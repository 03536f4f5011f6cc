# A TensorFlow tensor into a DAPHNE matrix (2-D as it is, 1-D as a column).
import tensorflow as tf

from daphnelib import DaphneContext

dc = DaphneContext()
dc.from_tensorflow(tf.constant([[1.5, -2.0], [0.25, 4.0]], dtype=tf.float64)).print().compute()
dc.from_tensorflow(tf.constant([3, 1, 2], dtype=tf.int64)).print().compute()
