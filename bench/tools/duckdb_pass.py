"""One DuckDB pass over our stored production rows that reads every monitored column: the floor a
drift report (which reads the same columns, counts per window and bin) can be set against.

The pass groups by day, as the report's windows do, and reduces every value of every monitored
column (the 25 features, the score, the prediction and the target) with `sum(hash(...))`, so
nothing can be answered from statistics alone.
"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from monitoring.store import Store, catalog  # noqa: E402
from monitoring.store.connection import quote  # noqa: E402

MONITORED = ("feature", "score", "prediction", "target")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--model", default="bench")
    args = parser.parse_args()
    with Store(args.db).connect() as con:
        model = catalog.get_model(con, args.model)
        names = [c.name for c in model.columns if c.role in MONITORED]
        time_column = model.column("timestamp").name
        reads = ", ".join(f"sum(hash({quote(n)}))" for n in names)
        started = time.perf_counter()
        rows = con.execute(
            f"SELECT date_trunc('day', {quote(time_column)}) AS day, count(*), {reads} "
            f"FROM {model.table('production')} GROUP BY day"
        ).fetchall()
        seconds = time.perf_counter() - started
    print(json.dumps({"inner_seconds": round(seconds, 3), "columns": len(names), "days": len(rows)}))


if __name__ == "__main__":
    main()
