"""The reference sample the PCA and the surrogate both fit on, read once per report.

A repeatable hash sample of at most SAMPLE_ROWS reference rows: the features and `__output` (the
one score column, else the prediction; missing where a row lacks it), the column the surrogate
learns (from the rows that have it).
"""

from monitoring.store import reconstruction_sql

SAMPLE_ROWS = 50_000


def surrogate_target(model):
    """(column name, kind) the surrogate learns: the one score column, else the prediction."""
    scores = model.columns_with("score")
    output = scores[0] if len(scores) == 1 else model.column("prediction")
    return (output.name, output.kind) if output is not None else None


def reference_rows(con, context, numeric: list[str], categorical: list[str]):
    """The sample as a DataFrame, kept in the report's memo (the fits that use it are kept per
    reference version, so a report whose fits are kept never reads it)."""
    target = surrogate_target(context.model)
    key = ("reference_rows", tuple(numeric), tuple(categorical), target)
    if key not in context.memo:
        source, params = context.reference(con)
        context.memo[key] = reconstruction_sql.reference_sample(
            con, source, params, numeric=numeric, categorical=categorical, output=target, rows=SAMPLE_ROWS
        )
    return context.memo[key]
