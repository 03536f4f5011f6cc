"""asv benchmarks of daphnelib (``make bench``, ``make bench-history``, ``make bench-compare``).

asv imports this package before any benchmark module, so the environment set here reaches
every benchmark process before TensorFlow is first imported.
"""

import os

# TensorFlow's C++ start-up lines (CPU feature guard, oneDNN notice, the absl pre-init
# warning) would otherwise be repeated in every benchmark log; errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
