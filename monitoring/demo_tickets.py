"""The `tickets` demo: a multiclass classifier that routes support tickets to a team (billing,
technical, account), with one probability column per class, deterministic data made by code.

The model's probabilities are the true ones made overconfident (a softmax at a lower temperature),
so they need calibrating. From day SHIFT_DAY on, more tickets come from the API product and fewer
from the app (a covariate shift the model handles: the relation between inputs and team is
unchanged), which moves the realized accuracy; the last UNLABELLED_DAYS days have no labels yet.
"""

import numpy as np
import pandas as pd

from monitoring.ingest.roles import RoleOverrides

START = pd.Timestamp("2024-03-04")
DAYS = 56
SHIFT_DAY = 28
UNLABELLED_DAYS = 14
TEAMS = ("billing", "technical", "account")
PRODUCTS = ("app", "web", "api")
PLANS = ("free", "pro", "enterprise")
# worth of routing a ticket of the true team (row) to the predicted team (column), in minutes saved
VALUE_MATRIX = {
    "billing": {"billing": 6, "technical": -9, "account": -4},
    "technical": {"billing": -9, "technical": 6, "account": -9},
    "account": {"billing": -4, "technical": -9, "account": 6},
}
STORY = (
    f"from day {SHIFT_DAY} more tickets come through the API (the model handles it); the last "
    f"{UNLABELLED_DAYS} days have no labels yet, so their performance is estimated"
)


def _tickets(rng, n: int, api_share: float) -> pd.DataFrame:
    app_share = 0.55 - api_share
    product = rng.choice(PRODUCTS, n, p=[app_share, 0.45, api_share])
    return pd.DataFrame(
        {
            "words": rng.gamma(3.0, 40.0, n).round(),
            "sentiment": rng.normal(0.0, 1.0, n).round(2),
            "attachments": rng.poisson(0.6, n),
            "product": product,
            "plan": rng.choice(PLANS, n, p=[0.5, 0.35, 0.15]),
        }
    )


def _logits(frame: pd.DataFrame) -> np.ndarray:
    """How much each ticket looks like each team (billing, technical, account)."""
    api = (frame["product"] == "api").to_numpy()
    app = (frame["product"] == "app").to_numpy()
    paid = (frame["plan"] != "free").to_numpy()
    words = np.log1p(frame["words"].to_numpy())
    sentiment = frame["sentiment"].to_numpy()
    billing = 0.9 * paid - 0.5 * sentiment + 0.2 * words - 0.6
    technical = 1.6 * api + 0.5 * frame["attachments"].to_numpy() + 0.35 * words - 1.3
    account = 0.9 * app - 0.3 * paid + 0.1 * sentiment
    return np.column_stack([billing, technical, account])


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _scored(frame: pd.DataFrame, rng) -> pd.DataFrame:
    """Add the model's class probabilities, its prediction and the true team."""
    logits = _logits(frame)
    truth = _softmax(2.0 * logits)
    team = (rng.random(len(frame))[:, None] > np.cumsum(truth, axis=1)).sum(axis=1)
    model = _softmax(3.2 * logits)  # overconfident
    for i, name in enumerate(TEAMS):
        frame[f"proba_{name}"] = model[:, i].round(3)
    frame["prediction"] = np.array(TEAMS)[model.argmax(axis=1)]
    frame["team"] = np.array(TEAMS)[np.minimum(team, len(TEAMS) - 1)]
    return frame


def ticket_frames(seed: int = 11, per_day: int = 900, reference_rows: int = 8000):
    """(reference, production, labels) DataFrames of the tickets demo."""
    rng = np.random.default_rng(seed)
    reference = _scored(_tickets(rng, reference_rows, 0.15), rng)
    days = []
    for day in range(DAYS):
        n = int(per_day * rng.uniform(0.85, 1.15))
        frame = _scored(_tickets(rng, n, 0.35 if day >= SHIFT_DAY else 0.15), rng)
        seconds = np.sort(rng.uniform(0, 86400, n))
        frame.insert(0, "timestamp", START + pd.Timedelta(days=day) + pd.to_timedelta(seconds, unit="s"))
        days.append(frame)
    production = pd.concat(days, ignore_index=True)
    production.insert(0, "ticket_id", [f"t-{i:06d}" for i in range(len(production))])
    labelled = production[production["timestamp"] < START + pd.Timedelta(days=DAYS - UNLABELLED_DAYS)]
    labels = labelled[["ticket_id", "team"]].copy()
    return reference, production.drop(columns="team"), labels


def ticket_roles() -> RoleOverrides:
    return RoleOverrides(
        id="ticket_id",
        timestamp="timestamp",
        target="team",
        prediction="prediction",
        score=[f"proba_{name}" for name in TEAMS],
        task="multiclass",
        numeric=["attachments"],  # a count: a rare 6 is not a new category
    )
