"""Evidently DataDriftPreset: one Report run per daily window, as a user must."""

import time

from common import CAT, NUM, arguments, days, done, load


def main() -> None:
    args = arguments(__doc__)
    started = time.perf_counter()
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    columns = ["timestamp", *NUM, *CAT]
    reference, production = load(args.reference, columns), load(args.production, columns)
    definition = DataDefinition(timestamp="timestamp", numerical_columns=NUM, categorical_columns=CAT)
    reference_ds = Dataset.from_pandas(reference, data_definition=definition)
    windows = 0
    for _, part in days(production):
        current = Dataset.from_pandas(part, data_definition=definition)
        snapshot = Report([DataDriftPreset(columns=NUM + CAT)]).run(current, reference_ds)
        snapshot.dict()
        windows += 1
    done(started, windows=windows)


if __name__ == "__main__":
    main()
