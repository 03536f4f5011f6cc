# A user-defined function with one input and three results; which result is printed depends
# on the script argument param=<0|1|2>.
import sys

from daphnelib import DaphneContext

which = int(dict(a.split("=", 1) for a in sys.argv[1:])["param"])
dc = DaphneContext()


@dc.function
def three(x):
    return x + 1, x * 2, x.t()


X = dc.seq(1, 6, 1).reshape(2, 3)
results = three(X)
results[which].print().compute()
