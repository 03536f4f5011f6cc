"""Special DataFrame column kinds survive daphnelib exactly: nullable integers with
missing values, categoricals, time-zone aware datetimes and strings.

    python examples/pandas_kinds.py
"""

import pandas as pd

from daphnelib import DaphneContext

dc = DaphneContext()
df = pd.DataFrame({
    "count": pd.array([3, None, 7], dtype="Int64"),
    "color": pd.Categorical(["red", "blue", "red"], categories=["red", "blue", "green"]),
    "seen": pd.DatetimeIndex(["2024-03-31 01:30", None, "2024-10-27 02:30"])
              .tz_localize("Europe/Berlin", ambiguous=True),
    "note": pd.array(["ok", None, "über"], dtype="string"),
})
print(df.dtypes.to_string())

# rbind with itself: every kind goes through the engine and comes back as it went in.
F = dc.from_pandas(df)
out = F.rbind(F).compute()
print(out)
expected = pd.concat([df, df], ignore_index=True)
pd.testing.assert_frame_equal(out, expected, check_exact=True)
print("dtypes after the round trip:", ", ".join(str(t) for t in out.dtypes))
