"""Column names that tell a column's role, in the conventions of the tools people log with.

Names are compared in one normal form: camelCase split into words, lowercased, spaces, dots and
hyphens turned into underscores (`inferenceId` -> `inference_id`, `Predicted Label` ->
`predicted_label`). Sources: scikit-learn's `y_true`/`y_pred`/`y_score`/`predict_proba`, NannyML's
`y_pred_proba`/`y_pred`, Evidently's `target`/`prediction`, SageMaker Model Monitor's
`inferenceId`/`eventTime`/`groundTruthLabel`, Vertex AI's `predicted_label`/`ground_truth`. The
README's "File format" table lists the same names.

Class probabilities: `proba_<class>`, `prob_<class>`, `score_<class>`, `y_pred_proba_<class>`,
`predicted_probability_<class>` and `<class>_proba` / `<class>_probability` are scores of one
class each (`class_of_score` says which). A name that says proba or probability is a score, never
the prediction.
"""

import re

NAMES = {
    "id": {"id", "row_id", "request_id", "prediction_id", "uuid", "event_id", "record_id", "inference_id"},
    "timestamp": {
        "timestamp",
        "ts",
        "time",
        "datetime",
        "date",
        "event_time",
        "event_timestamp",
        "created_at",
        "prediction_time",
        "prediction_timestamp",
        "predicted_at",
        "inference_time",
        "inference_timestamp",
        "request_time",
        "scored_at",
    },
    "prediction": {
        "prediction",
        "pred",
        "y_pred",
        "y_hat",
        "predicted",
        "predicted_label",
        "predicted_class",
        "predicted_value",
        "prediction_label",
        "model_output",
    },
    "score": {
        "score",
        "y_score",
        "proba",
        "probability",
        "prediction_score",
        "prediction_probability",
        "predicted_probability",
        "pred_proba",
        "predict_proba",
        "y_proba",
        "y_pred_proba",
    },
    "target": {
        "target",
        "label",
        "y",
        "y_true",
        "actual",
        "ground_truth",
        "ground_truth_label",
        "truth",
        "true_label",
        "actual_label",
        "outcome",
    },
    "status": {"status", "status_code", "error", "is_error", "http_status"},
    "version": {"model_version", "version"},
    "sensitive": {"gender", "sex", "race", "ethnicity", "religion", "nationality", "age_group"},
    "observed_at": {"observed_at", "label_time", "labelled_at", "labeled_at", "label_timestamp"},
}
LATENCY_WORDS = ("latency", "duration", "response_time", "elapsed")
PROBABILITY_WORDS = ("proba", "probabilit")
_SEPARATOR = r"[_\s.\-]"
CLASS_PREFIX = re.compile(
    rf"^(y{_SEPARATOR}?pred{_SEPARATOR}?proba|predicted{_SEPARATOR}?probability|proba|prob|score){_SEPARATOR}(?P<cls>.+)$",
    re.IGNORECASE,
)
CLASS_SUFFIX = re.compile(rf"^(?P<cls>.+?){_SEPARATOR}(proba|probability)$", re.IGNORECASE)


def normal_form(name: str) -> str:
    """`inferenceId` -> `inference_id`, `Predicted Label` -> `predicted_label`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    return re.sub(r"[\s.\-]+", "_", spaced).lower()


def role_from_name(name: str) -> str:
    """The role a column's name suggests; `feature` when it suggests none."""
    normal = normal_form(name)
    for role, names in NAMES.items():
        if normal in names:
            return role
    if any(word in normal for word in LATENCY_WORDS):
        return "latency"
    if class_of_score(name) is not None or any(word in normal for word in PROBABILITY_WORDS):
        return "score"
    return "feature"


def class_of_score(name: str) -> str | None:
    """The class a class-probability column belongs to (`proba_yes`, `yes_proba` -> `yes`), else None."""
    found = CLASS_PREFIX.match(name.strip()) or CLASS_SUFFIX.match(name.strip())
    if found is None or normal_form(name) in NAMES["score"]:
        return None
    return found.group("cls")
