# if/else, for, while and do-while built through the Python API; the branch taken depends on
# the script argument param=<float>.
import sys

from daphnelib import DaphneContext

param = float(dict(a.split("=", 1) for a in sys.argv[1:])["param"])
dc = DaphneContext()
X = dc.fill(1.5, 2, 2)
p = dc.fill(param, 1, 1).sum()
(Y,) = dc.cond([X], lambda: p > 1.0, lambda x: x * 10, lambda x: x - 1)
Y.print().compute()
(acc,) = dc.for_loop([X], lambda x, i: x + i, 1, 4)
acc.print().compute()
(w,) = dc.while_loop([X], lambda x: x.sum() < 100 * p, lambda x: x * 2)
w.print().compute()
(d,) = dc.do_while_loop([X], lambda x: x.sum() < 0, lambda x: x + p)
d.print().compute()
