"""Evidently DataDriftPreset run once: the whole production file against the reference, one Report
(what the end-to-end target sets our ingest + report against)."""

import time

from common import CAT, NUM, arguments, done, load


def main() -> None:
    args = arguments(__doc__)
    started = time.perf_counter()
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    columns = [*NUM, *CAT]
    reference, production = load(args.reference, columns), load(args.production, columns)
    definition = DataDefinition(numerical_columns=NUM, categorical_columns=CAT)
    reference_ds = Dataset.from_pandas(reference, data_definition=definition)
    current = Dataset.from_pandas(production, data_definition=definition)
    snapshot = Report([DataDriftPreset(columns=NUM + CAT)]).run(current, reference_ds)
    snapshot.dict()
    done(started, windows=1)


if __name__ == "__main__":
    main()
