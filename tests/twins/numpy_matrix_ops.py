# numpy computes, DAPHNE prints: the DaphneDSL twin's scalars agree within 0.1 (DAPHNE's
# scalar comparison), not byte for byte (numpy prints 10.0 where DAPHNE prints 10).
import numpy as np

X = np.arange(1.0, 7.0).reshape(2, 3)
print(X.sum())
print(X.mean())
print(X.std())
print((X @ X.T).sum())
print(np.sqrt(X).max())
print(np.abs(X - 3.5).min())
