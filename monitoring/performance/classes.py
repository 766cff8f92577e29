"""The classes of a classifier: which labels exist, which is the positive one, and the SQL for the
predicted class (also used by fairness)."""

import numpy as np

from monitoring.ingest.names import class_of_score
from monitoring.store import metrics_sql
from monitoring.store.catalog import table_columns
from monitoring.store.window_sql import has_rows

POSITIVE_WORDS = ("1", "true", "yes", "y", "positive", "pos", "t")


def positive_class(values) -> str:
    """The positive class of a binary target stored as text.

    Rule: the first value that reads as positive ('1', 'true', 'yes', 'y', 'positive', 'pos', 't',
    compared lowercased and trimmed; '1.0' counts as '1'); otherwise the larger value (numbers
    compared as numbers, else as text).
    """
    values = [str(v) for v in values if v is not None]
    for value in values:
        text = value.strip().lower()
        if text in POSITIVE_WORDS or _as_number(text) == 1:
            return value
    numbers = [_as_number(v) for v in values]
    if values and all(n is not None for n in numbers):
        return values[int(np.argmax(numbers))]
    return max(values) if values else "1"


def _as_number(text: str):
    try:
        return float(text)
    except ValueError:
        return None


def classes_of(con, context) -> list[str]:
    """The class labels seen in targets and predictions of the reference and production rows
    (looked up once per report: performance and fairness both ask)."""
    if "classes" not in context.memo:
        context.memo["classes"] = _classes(con, context)
    return context.memo["classes"]


def _classes(con, context) -> list[str]:
    model = context.model
    prediction = model.column("prediction")
    expressions = [metrics_sql.LABEL] + ([metrics_sql.quote(prediction.name)] if prediction else [])
    sources = [context.production(con)]
    if has_rows(con, model, "reference") and (
        prediction is None or prediction.name in table_columns(con, model.table("reference"))
    ):
        sources.append(context.reference(con))
    return metrics_sql.distinct_values(con, sources, expressions)


def predicted_sql(context, classes: list[str]) -> str:
    """SQL for the predicted class of a classifier (see metrics_sql.prediction_expression)."""
    model = context.model
    prediction, score = model.column("prediction"), model.column("score")
    positive = positive_class(classes)
    negative = next((c for c in classes if c != positive), "0")
    return metrics_sql.prediction_expression(
        prediction.name if prediction else None, score.name if score else None, positive, negative
    )


def score_column(context, positive: str) -> str | None:
    """The binary classifier's score column: the only one, or the one named after the positive class."""
    scores = context.model.columns_with("score")
    if len(scores) == 1:
        return scores[0].name
    named = [c.name for c in scores if (class_of_score(c.name) or "").lower() == positive.lower()]
    return named[0] if named else None


def class_score_columns(context, classes: list[str]) -> list[str] | None:
    """A multiclass model's probability column of each class, in `classes` order (a column names its
    class as `proba_<class>`, `<class>_proba` and the like, see ingest/names.py); None unless every
    class has exactly one."""
    by_class: dict[str, list[str]] = {}
    for column in context.model.columns_with("score"):
        named = class_of_score(column.name)
        if named is not None:
            by_class.setdefault(named.lower(), []).append(column.name)
    found = [by_class.get(str(c).lower(), []) for c in classes]
    if len(classes) < 2 or any(len(columns) != 1 for columns in found):
        return None
    return [columns[0] for columns in found]
