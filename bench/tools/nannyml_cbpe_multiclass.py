"""NannyML multiclass CBPE: estimated accuracy, macro precision, recall, F1 and ROC AUC per day,
labels withheld."""

import os
import time

from common import arguments, done, load

CLASSES = ["a", "b", "c"]


def main() -> None:
    args = arguments(__doc__)
    started = time.perf_counter()
    os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"
    import nannyml as nml

    scores = {name: f"proba_{name}" for name in CLASSES}
    columns = ["timestamp", "y_pred", *scores.values()]
    reference = load(args.reference, [*columns, "y_true"])
    production = load(args.production, columns)
    cbpe = nml.CBPE(
        problem_type="classification_multiclass",
        y_pred_proba=scores,
        y_pred="y_pred",
        y_true="y_true",
        timestamp_column_name="timestamp",
        metrics=["accuracy", "precision", "recall", "f1", "roc_auc"],
        chunk_period="D",
    )
    cbpe.fit(reference)
    result = cbpe.estimate(production).to_df()
    analysis = result[result[("chunk", "period")] == "analysis"]
    done(started, windows=len(analysis), first_accuracy=float(analysis[("accuracy", "value")].iloc[0]))


if __name__ == "__main__":
    main()
