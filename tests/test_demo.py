from monitoring.store import catalog


def test_demo_has_both_models_with_their_tasks(demo_store):
    with demo_store.connect() as con:
        models = {m.name: m for m in catalog.list_models(con)}
        credit_batches = catalog.list_batches(con, "credit")
    assert models["credit"].task == "binary"
    assert models["bikes"].task == "regression"
    assert set(credit_batches["kind"]) == {"reference", "production", "labels"}
    assert credit_batches.loc[credit_batches["kind"] == "production", "rows"].iloc[0] > 100_000
