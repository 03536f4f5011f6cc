# A DataFrame into a DAPHNE frame: int64, float64 and string columns keep their labels.
import pandas as pd

from daphnelib import DaphneContext

dc = DaphneContext()
df = pd.DataFrame({"id": [3, 1, 2], "score": [0.5, 1.25, -2.0], "name": ["ann", "bo", "cy"]})
F = dc.from_pandas(df)
F.print().compute()
F.nrow().print().compute()
F.ncol().print().compute()
