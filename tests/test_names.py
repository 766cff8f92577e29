"""Column names in the conventions of scikit-learn, NannyML, Evidently, SageMaker and Vertex AI."""

import pytest

from monitoring.ingest.names import class_of_score, normal_form, role_from_name


@pytest.mark.parametrize(
    "name, role",
    [
        # scikit-learn and NannyML
        ("y_true", "target"),
        ("y_pred", "prediction"),
        ("y_pred_proba", "score"),
        ("y_score", "score"),
        ("predict_proba", "score"),
        # Evidently
        ("target", "target"),
        ("prediction", "prediction"),
        # SageMaker Model Monitor (camelCase)
        ("inferenceId", "id"),
        ("eventTime", "timestamp"),
        ("groundTruthLabel", "target"),
        # Vertex AI and others
        ("predicted_label", "prediction"),
        ("ground_truth", "target"),
        ("prediction_score", "score"),
        ("predicted_probability", "score"),
        ("inference_time", "timestamp"),
        ("event_time", "timestamp"),
        # a name that says probability is a score, never the prediction
        ("default_probability", "score"),
        ("churn_proba", "score"),
        # names that only look alike stay features
        ("credit_score", "feature"),
        ("repaid", "feature"),
        ("probe_depth", "feature"),
    ],
)
def test_a_name_in_a_common_convention_gets_its_role(name, role):
    assert role_from_name(name) == role


@pytest.mark.parametrize(
    "name, cls",
    [
        ("proba_yes", "yes"),
        ("y_pred_proba_setosa", "setosa"),
        ("predicted_probability_Dog", "Dog"),
        ("versicolor_proba", "versicolor"),
        ("cat_probability", "cat"),
        ("y_pred_proba", None),
        ("probability", None),
        ("income", None),
    ],
)
def test_a_class_probability_column_names_its_class(name, cls):
    assert class_of_score(name) == cls


def test_names_are_compared_in_one_normal_form():
    assert normal_form("inferenceId") == "inference_id"
    assert normal_form(" Predicted Label ") == "predicted_label"
    assert normal_form("model-version") == "model_version"
