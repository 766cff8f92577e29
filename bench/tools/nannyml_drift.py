"""NannyML UnivariateDriftCalculator with daily chunks (KS and Jensen-Shannon; chi2 and JS)."""

import os
import time

from common import CAT, NUM, arguments, done, load


def main() -> None:
    args = arguments(__doc__)
    started = time.perf_counter()
    os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"
    import nannyml as nml

    columns = ["timestamp", *NUM, *CAT]
    reference, production = load(args.reference, columns), load(args.production, columns)
    calculator = nml.UnivariateDriftCalculator(
        column_names=NUM + CAT,
        treat_as_categorical=CAT,
        timestamp_column_name="timestamp",
        continuous_methods=["kolmogorov_smirnov", "jensen_shannon"],
        categorical_methods=["chi2", "jensen_shannon"],
        chunk_period="D",
    )
    result = calculator.fit(reference).calculate(production).to_df()
    analysis = result[result[("chunk", "chunk", "period")] == "analysis"]
    done(started, windows=len(analysis))


if __name__ == "__main__":
    main()
