"""DaphneLib's ``daphne.context`` surface."""

from daphnelib.context.daphne_context import DaphneContext
from daphnelib.operator.nodes.frame import Frame
from daphnelib.operator.nodes.matrix import Matrix
from daphnelib.operator.nodes.scalar import Scalar

__all__ = ["DaphneContext", "Frame", "Matrix", "Scalar"]
