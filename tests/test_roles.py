"""Role and type inference, as documented at the top of monitoring/roles.py, through real ingest."""

import pandas as pd
import pytest

from monitoring.errors import InputError, SchemaError
from monitoring.ingest.pipeline import ingest_file
from monitoring.ingest.roles import MAX_CODE_VALUES, RoleOverrides, role_from_name
from monitoring.schema import NUMERIC_SHARE
from monitoring.store import catalog

N = 20


def _ingest(store, tmp_path, columns: dict, overrides=None, name="f.csv"):
    """Ingest a reference file with a prediction column and the given columns; {name: (role, kind)}."""
    frame = pd.DataFrame({"prediction": [i % 2 for i in range(N)], **columns})
    path = tmp_path / name
    if name.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    result = ingest_file(store, str(path), model="m", kind="reference", overrides=overrides)
    return {c.name: (c.role, c.kind) for c in result.columns}, result


def _numbers_with_text(numbers: int) -> list[str]:
    return [str(i + 0.5) for i in range(numbers)] + ["abc"] * (N - numbers)


KIND_CASES = [
    ("text", ["north", "south"] * (N // 2), "categorical"),
    ("csv booleans", ["true", "false"] * (N // 2), "categorical"),
    ("fractions", [str(i / 4) for i in range(N)], "numeric"),
    ("one fraction among whole numbers", ["1"] * (N - 1) + ["1.5"], "numeric"),
    ("few whole numbers", [str(i % MAX_CODE_VALUES) for i in range(N)], "categorical"),
    ("whole numbers written as floats", [f"{i % 3}.0" for i in range(N)], "categorical"),
    ("one more whole number than codes", [str(i % (MAX_CODE_VALUES + 1)) for i in range(N)], "numeric"),
    ("blank values do not count", ["1.5", "", "  ", "2.5"] * (N // 4), "numeric"),
    ("below the numeric share", _numbers_with_text(int(N * NUMERIC_SHARE) - 1), "categorical"),
]


@pytest.mark.parametrize("values, kind", [c[1:] for c in KIND_CASES], ids=[c[0] for c in KIND_CASES])
def test_feature_kind_follows_the_documented_rule(store, tmp_path, values, kind):
    columns, _ = _ingest(store, tmp_path, {"x": values})
    assert columns["x"] == ("feature", kind)


def test_mostly_numbers_with_some_text_is_numeric_and_refused(store, tmp_path):
    values = _numbers_with_text(int(N * NUMERIC_SHARE))
    with pytest.raises(
        SchemaError, match=r"'x' is numeric .* 1 non-numeric value\(s\), e.g. 'abc' in row 20"
    ):
        _ingest(store, tmp_path, {"x": values})
    columns, result = _ingest(store, tmp_path, {"x": values}, RoleOverrides(categorical=["x"]))
    assert columns["x"] == ("feature", "categorical") and result.rows == N


def test_parquet_types_follow_the_same_rule(store, tmp_path):
    columns, _ = _ingest(
        store,
        tmp_path,
        {
            "flag": [True, False] * (N // 2),
            "code": [i % 4 for i in range(N)],
            "count": list(range(N)),
            "ratio": [i / 3 for i in range(N)],
            "label": ["a", "b"] * (N // 2),
        },
        name="f.parquet",
    )
    assert {n: k for n, (_, k) in columns.items() if n != "prediction"} == {
        "flag": "categorical",
        "code": "categorical",
        "count": "numeric",
        "ratio": "numeric",
        "label": "categorical",
    }


def test_overrides_win_over_inference(store, tmp_path):
    overrides = RoleOverrides(numeric=["code"], categorical=["ratio"], sensitive=["grp"], segment=["seg"])
    columns, _ = _ingest(
        store,
        tmp_path,
        {
            "code": [str(i % 3) for i in range(N)],
            "ratio": [i / 3 for i in range(N)],
            "grp": ["a"] * N,
            "seg": ["s"] * N,
        },
        overrides,
    )
    assert columns["code"] == ("feature", "numeric")
    assert columns["ratio"] == ("feature", "categorical")
    assert columns["grp"] == ("sensitive", "categorical") and columns["seg"] == ("segment", "categorical")


def test_override_naming_a_missing_column_is_an_error(store, tmp_path):
    with pytest.raises(InputError, match="the file has no column 'nope'"):
        _ingest(store, tmp_path, {"x": ["a"] * N}, RoleOverrides(numeric=["nope"]))


def test_roles_from_names_have_fixed_kinds(store, tmp_path):
    columns, _ = _ingest(
        store,
        tmp_path,
        {
            "request_id": [f"r{i}" for i in range(N)],
            "predicted_at": [f"2024-05-01 10:{i:02d}:00" for i in range(N)],
            "proba_yes": [str(i / N) for i in range(N)],
            "Latency_MS": [str(i) for i in range(N)],
            "status": ["200", "500"] * (N // 2),
            "model_version": ["1", "2"] * (N // 2),
            "gender": ["F", "M"] * (N // 2),
            "y_true": [str(i % 2) for i in range(N)],
        },
    )
    assert columns == {
        "prediction": ("prediction", "categorical"),
        "request_id": ("id", "id"),
        "predicted_at": ("timestamp", "timestamp"),
        "proba_yes": ("score", "numeric"),
        "Latency_MS": ("latency", "numeric"),
        "status": ("status", "categorical"),
        "model_version": ("version", "categorical"),
        "gender": ("sensitive", "categorical"),
        "y_true": ("target", "categorical"),
    }


def test_timestamp_by_name_with_a_bad_value_is_refused_not_demoted(store, tmp_path):
    stamps = [f"2024-05-01 10:{i:02d}:00" for i in range(N - 1)] + ["yesterday"]
    with pytest.raises(SchemaError, match=r"timestamp column 'timestamp' .* 'yesterday' in row 20"):
        _ingest(store, tmp_path, {"timestamp": stamps})


def test_timestamp_name_without_dates_is_a_feature_and_dates_without_name_are_the_timestamp(store, tmp_path):
    columns, _ = _ingest(
        store,
        tmp_path,
        {"time": [str(1714550400 + i) for i in range(N)], "when": [f"2024-05-{i + 1:02d}" for i in range(N)]},
    )
    assert columns["time"] == ("feature", "numeric")
    assert columns["when"] == ("timestamp", "timestamp")


@pytest.mark.parametrize(
    "predictions, task",
    [
        (["yes", "no"] * (N // 2), "binary"),
        ([str(i % 3) for i in range(N)], "multiclass"),
        ([str(i / 7) for i in range(N)], "regression"),
    ],
)
def test_task_is_inferred_from_the_predictions(store, tmp_path, predictions, task):
    path = tmp_path / "p.csv"
    pd.DataFrame({"pred": predictions, "x": range(N)}).to_csv(path, index=False)
    result = ingest_file(store, str(path), model="m", kind="reference")
    assert result.columns[0].role == "prediction"
    assert {c.name: c.kind for c in result.columns}["pred"] == (
        "numeric" if task == "regression" else "categorical"
    )
    with store.connect() as con:
        assert catalog.get_model(con, "m").task == task


def test_many_integer_classes_are_regression(store, tmp_path):
    path = tmp_path / "p.csv"
    pd.DataFrame({"prediction": range(200)}).to_csv(path, index=False)
    ingest_file(store, str(path), model="m", kind="reference")
    with store.connect() as con:
        assert catalog.get_model(con, "m").task == "regression"


@pytest.mark.parametrize(
    "name, role",
    [
        ("ID", "id"),
        (" ts ", "timestamp"),
        ("y_pred", "prediction"),
        ("response_time_ms", "latency"),
        ("Prob_cat", "score"),
        ("age", "feature"),
    ],
)
def test_role_from_name(name, role):
    assert role_from_name(name) == role
