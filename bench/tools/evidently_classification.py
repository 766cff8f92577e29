"""Evidently ClassificationPreset: one Report run per daily window, against the reference."""

import time

from common import CAT, NUM, arguments, days, done, load


def definition():
    from evidently import BinaryClassification, DataDefinition

    return DataDefinition(
        timestamp="timestamp",
        numerical_columns=NUM + ["y_score"],
        categorical_columns=CAT + ["y_true", "y_pred"],
        classification=[
            BinaryClassification(
                target="y_true", prediction_labels="y_pred", prediction_probas="y_score", pos_label=1
            )
        ],
    )


def main() -> None:
    args = arguments(__doc__)
    started = time.perf_counter()
    from evidently import Dataset, Report
    from evidently.presets import ClassificationPreset

    columns = ["timestamp", *NUM, *CAT, "y_true", "y_pred", "y_score"]
    reference, production = load(args.reference, columns), load(args.production, columns)
    spec = definition()
    reference_ds = Dataset.from_pandas(reference, data_definition=spec)
    windows = 0
    for _, part in days(production):
        current = Dataset.from_pandas(part, data_definition=spec)
        Report([ClassificationPreset()]).run(current, reference_ds).dict()
        windows += 1
    done(started, windows=windows)


if __name__ == "__main__":
    main()
