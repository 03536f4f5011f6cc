# A PyTorch tensor into a DAPHNE matrix (2-D as it is, 1-D as a column).
import torch

from daphnelib import DaphneContext

dc = DaphneContext()
dc.from_pytorch(torch.tensor([[1.5, -2.0], [0.25, 4.0]], dtype=torch.float64)).print().compute()
dc.from_pytorch(torch.tensor([3, 1, 2], dtype=torch.int64)).print().compute()
