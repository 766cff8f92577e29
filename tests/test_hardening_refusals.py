"""Hardening (REDTEAM D3, D31, D28, D29, D30): files refused with the bad row, id or column named,
and nothing stored."""

import pandas as pd
import pytest
from hardening_setup import batches_of, ingester, make_model_m, model_frames, new_rows, report

from monitoring.errors import InputError, SchemaError
from monitoring.ingest.roles import RoleOverrides


@pytest.fixture
def put(tmp_path):
    return ingester(tmp_path)


@pytest.fixture
def model_m(store, put):
    return make_model_m(store, put)


# D3, D31: production rows need a time, and times must fall in the years 1970 to 2200


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "is empty in 1 row(s), e.g. row 3"),
        ("9999-12-31 23:00:00", "'9999-12-31 23:00:00' in row 3"),
        ("0001-01-01 00:00:00", "'0001-01-01 00:00:00' in row 3"),
        ("1677-09-22 00:00:00", "outside the years 1970 to 2200"),
    ],
)
def test_a_production_file_with_an_empty_or_implausible_timestamp_is_refused_naming_the_row(
    model_m, put, value, words
):
    before = batches_of(model_m)
    part = new_rows("t", 50)
    part.loc[2, "timestamp"] = value
    with pytest.raises(SchemaError, match="timestamp column 'timestamp'") as refused:
        put(model_m, part, "production")
    assert words in str(refused.value)
    assert batches_of(model_m) == before
    assert report(model_m)["windows"]


def test_a_parquet_timestamp_in_year_9999_is_refused(model_m, put):
    part = new_rows("t", 50)
    part["timestamp"] = pd.to_datetime(part["timestamp"]).astype("datetime64[us]")
    part.loc[4, "timestamp"] = pd.Timestamp("9999-12-31 23:00:00").as_unit("us")
    with pytest.raises(SchemaError, match="in row 5"):
        put(model_m, part, "production", name="late.parquet")


def test_a_reference_may_lack_timestamps_but_not_hold_implausible_ones(store, put):
    reference, _ = model_frames()
    reference.loc[0, "timestamp"] = ""
    put(store, reference, "reference")
    reference["id"] = "y" + reference["id"]
    reference.loc[1, "timestamp"] = "2250-01-01 00:00:00"
    with pytest.raises(SchemaError, match="'2250-01-01 00:00:00' in row 2"):
        put(store, reference, "reference")


# D28, D29, D30: labels that contradict each other, options naming absent columns, empty ids


def test_a_labels_file_giving_one_id_two_different_labels_is_refused_naming_the_id(model_m, put):
    before = batches_of(model_m)
    labels = pd.DataFrame({"id": ["p1", "p2", "p1", "p2", "p3"], "target": [1, 0, 0, 0, 1]})
    with pytest.raises(
        SchemaError, match="1 id\\(s\\) have different labels.*id 'p1' is labelled '0' and '1'"
    ):
        put(model_m, labels, "labels")
    assert batches_of(model_m) == before
    agreeing = pd.DataFrame({"id": ["p1", "p1", "p2"], "target": [1, 1, None]})
    assert put(model_m, agreeing, "labels").rows == 3


def test_a_role_option_naming_a_column_the_file_lacks_is_an_error_listing_the_columns(model_m, put):
    before = batches_of(model_m)
    with pytest.raises(
        InputError, match="no column 'nonexistent' \\(named by --id\\); its columns are 'id', "
    ):
        put(model_m, new_rows("o", 20), "production", overrides=RoleOverrides(id="nonexistent"))
    with pytest.raises(InputError, match="'colour' \\(named by --categorical\\)"):
        put(model_m, new_rows("o", 20), "production", overrides=RoleOverrides(categorical=["colour"]))
    assert batches_of(model_m) == before


def test_a_production_file_whose_ids_are_all_empty_is_refused(model_m, put):
    before = batches_of(model_m)
    part = new_rows("e", 30)
    part["id"] = ""
    with pytest.raises(SchemaError, match="the id column 'id' is empty in every row"):
        put(model_m, part, "production")
    assert batches_of(model_m) == before
    some = new_rows("e", 30)
    some.loc[:9, "id"] = ""
    assert put(model_m, some, "production").rows == 30


# Found when the reproductions were rerun: 150 rows holding a 1 MB category each were stored, then
# every report ran out of memory grouping them.


def test_a_category_value_longer_than_a_label_is_refused_naming_the_row(model_m, put):
    before = batches_of(model_m)
    part = new_rows("l", 150)
    part["region"] = "A" * 2**20
    with pytest.raises(InputError, match=r"column 'region' holds a value of 1,048,576 characters in row 1"):
        put(model_m, part, "production")
    assert batches_of(model_m) == before
    assert report(model_m)["windows"]


def test_the_app_s_own_name_cannot_sign_a_change_to_an_alert(model_m):
    from monitoring.alerts.evaluate import evaluate_model
    from monitoring.alerts.history import change_status, list_alerts

    evaluate_model(model_m, "M", notify=False)
    alert = list_alerts(model_m, "M")[0]
    for who in ("system", " System "):
        with pytest.raises(InputError, match="names the app's own changes"):
            change_status(model_m, alert["id"], "acknowledged", who)
    assert list_alerts(model_m, "M")[0]["status"] == alert["status"]
