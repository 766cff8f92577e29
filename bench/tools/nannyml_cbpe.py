"""NannyML CBPE: estimated ROC AUC, F1 and accuracy per day, labels withheld from production."""

import os
import time

from common import arguments, done, load


def main() -> None:
    args = arguments(__doc__)
    started = time.perf_counter()
    os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"
    import nannyml as nml

    columns = ["timestamp", "y_true", "y_pred", "y_score"]
    reference, production = load(args.reference, columns), load(args.production, columns)
    cbpe = nml.CBPE(
        problem_type="classification_binary",
        y_pred_proba="y_score",
        y_pred="y_pred",
        y_true="y_true",
        timestamp_column_name="timestamp",
        metrics=["roc_auc", "f1", "accuracy"],
        chunk_period="D",
    )
    cbpe.fit(reference)
    result = cbpe.estimate(production.drop(columns=["y_true"])).to_df()
    analysis = result[result[("chunk", "period")] == "analysis"]
    done(started, windows=len(analysis))


if __name__ == "__main__":
    main()
