"""NannyML DLE: estimated MAE, MSE, RMSE and MAPE per day of a regressor, labels withheld."""

import os
import time

from common import CAT, NUM, arguments, done, load


def main() -> None:
    args = arguments(__doc__)
    started = time.perf_counter()
    os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"
    import nannyml as nml

    reference, production = load(args.reference), load(args.production)
    for frame in (reference, production):
        frame[CAT] = frame[CAT].astype("category")
    dle = nml.DLE(
        feature_column_names=NUM + CAT,
        y_pred="y_pred",
        y_true="y_true",
        timestamp_column_name="timestamp",
        metrics=["mae", "mse", "rmse", "mape"],
        chunk_period="D",
        tune_hyperparameters=False,
    )
    dle.fit(reference)
    result = dle.estimate(production).to_df()
    analysis = result[result[("chunk", "period")] == "analysis"]
    done(started, windows=len(analysis), first_mae=float(analysis[("mae", "value")].iloc[0]))


if __name__ == "__main__":
    main()
