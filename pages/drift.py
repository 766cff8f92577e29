"""Drift: a feature x window heatmap (click a cell for its distribution), dataset drift over time,
prediction and target drift apart, and which method `auto` chose and why."""

import pandas as pd
import streamlit as st

from monitoring import charts, drift_charts, summary
from monitoring.distributions import column_distribution
from monitoring.drift.impact import MIN_WINDOWS
from monitoring.drift.methods import methods_table
from pages import common
from pages.page import section_page, show_chart, show_table
from pages.text import literal

page = section_page(
    "Drift",
    "Has the world changed? Each input per window, compared with the reference.",
    "drift",
    empty="No drift figures: drift needs a reference batch and production rows in this period.",
)
model, report, drift = page.view.model, page.report, page.records
features = drift[drift["role"] == "feature"]
latest = report.latest_window
FIT_NAMES = {"r2_score": "R²", "roc_auc_score": "ROC AUC", "accuracy_score": "accuracy"}

st.subheader("What changed")
impact = report.frame("drift_impact")
attention = report.frame("feature_importance")
if not attention.empty:
    first = attention.iloc[0]
    output = literal(first["target"])
    fit = (
        f"{FIT_NAMES.get(first['fit_metric'], first['fit_metric'])} {first['fit']:.2f} on "
        f"{first['held_out_rows']:,} held-out rows, {first['constant_fit']:.2f} for a constant"
    )
if not attention.empty and not first["informative"]:
    st.caption(
        f"Which changes matter is not shown: a stand-in model that predicts the stored {output} from "
        f"the inputs fits it no better than a constant ({fit}), so the {output} does not follow these "
        "inputs in the reference and their shares of attention would be noise. Each input's drift is below."
    )
elif impact.empty:
    st.caption(
        "Which changes matter needs the model's score or prediction in the reference, to learn what "
        "the model pays attention to."
    )
else:
    causes = summary.drift_causes(report)
    phrase = report.window_phrase(latest)
    if causes:
        st.markdown("\n".join(f"- {literal(c['sentence'])}" for c in causes))
    else:
        st.write(f"No input moved past its drift threshold in {phrase}.")
    ignored = [c for c in summary.ignored_drift(report) if c not in {c["column"] for c in causes}]
    if ignored:
        st.caption(
            "Also changed, but the model pays them little attention: " + literal(", ".join(ignored)) + "."
        )
    weighted = impact[(impact["window"] == latest) & impact["column"].isna()]["impact"]
    left, right = st.columns(2)
    with left:
        score = weighted.iloc[0] if len(weighted) and pd.notna(weighted.iloc[0]) else None
        st.markdown(f"**Impact in {phrase}**")
        if score is not None:
            st.caption(
                f"Importance-weighted drift: {score:.2f} (1 means the model's inputs, weighted by "
                "attention, sit at their drift thresholds)."
            )
        mine = impact[impact["window"] == latest]
        show_chart(drift_charts.impact_bars(mine), f"{model}-drift-impact")
    with right:
        st.markdown("**What the model pays attention to**")
        st.caption(
            f"Learned from the reference by a stand-in model that predicts the stored {output} from the "
            f"inputs: {fit} (1 is perfect; trust the shares as far as this is high)."
        )
        show_chart(drift_charts.attention_bars(attention), f"{model}-attention")

st.subheader("Inputs per window")
st.caption(
    "Colour is the statistic relative to its threshold: dark red cells drifted. "
    "Hover for method, statistic, p-value and threshold; click a cell to see that input's distribution."
)
event = show_chart(
    charts.drift_heatmap(features), f"{model}-drift-heatmap", on_select="rerun", key="drift_heatmap"
)
picked = (event.selection.get("cell") or [None])[0] if event and event.selection else None
if picked:
    column, window = picked["column"], int(picked["window"])
    label = report.window_label(window)
    st.markdown(f"**{literal(column)}** in {label} against the reference")
    with common.shown_errors():
        dist = column_distribution(common.get_store(), page.view.request(), column, window)
    show_chart(charts.distribution_overlay(dist.shares, dist.kind), f"{model}-{column}-{label}")
    st.caption("Its statistic per window: dashed the threshold, dotted the reference's sampling noise.")
    show_chart(charts.statistic_lines(features[features["column"] == column]), f"{model}-{column}-drift")
    st.page_link("pages/distributions.py", label="Compare other windows", icon=":material/bar_chart:")

dataset = report.frame("dataset_drift")
if not dataset.empty:
    st.subheader("Share of inputs that drifted")
    share = report.settings.dataset_drift_share
    st.caption(f"A window counts as drifted when at least {share:.0%} of its inputs drift (red line).")
    chart = charts.share_over_time(dataset, "share_drifted", "Inputs drifted", share)
    show_chart(chart, f"{model}-dataset-drift")

ranking = report.frame("drift_ranking")
st.subheader("Which drift went with performance changes")
if ranking.empty:
    st.caption(
        f"The ranking needs at least {MIN_WINDOWS} windows with both drift figures and a performance "
        "figure (realized, or estimated before labels)."
    )
else:
    st.caption(
        f"Pearson correlation, over {int(ranking['windows'].max())} windows, between each input's drift "
        f"statistic and how far {summary.NAMES.get(ranking['metric'].iloc[0], ranking['metric'].iloc[0]).lower()} "
        "moved from its baseline "
        "(realized where labelled, else estimated). A high correlation is a lead, not a proof."
    )
    show_table(
        ranking[["rank", "column", "method", "correlation", "p_value", "windows"]],
        f"{model}-drift-ranking",
        hide_index=True,
        column_config={
            "rank": "Rank",
            "column": "Input",
            "method": "Drift method",
            "windows": "Windows",
            "correlation": st.column_config.NumberColumn("Correlation", format="%.2f"),
            "p_value": st.column_config.NumberColumn("p-value", format="%.3g"),
        },
    )

multivariate = report.frame("multivariate_drift")
pca = multivariate[multivariate["method"] == "pca_reconstruction"] if not multivariate.empty else multivariate
if not pca.empty:
    st.subheader("All inputs together")
    st.caption(
        "How badly a compressed picture of the reference (its main patterns, PCA) reconstructs each "
        "window's rows: it rises when inputs change together or stop moving together, even when no "
        "single input drifts. The band is the reference's own spread; red points left it."
    )
    show_chart(drift_charts.reconstruction_chart(pca), f"{model}-reconstruction-drift")

st.subheader("Prediction and target drift")
outputs = drift[drift["role"].isin(["prediction", "target"])]
if outputs.empty:
    st.caption("This model has no prediction or target column to watch.")
else:
    outputs = outputs.assign(column=outputs["role"] + ": " + outputs["column"])
    st.caption(
        "Dashed: the threshold. Dotted: the reference's sampling noise, the level the statistic stays "
        "under in about 97.5% of windows of this size when nothing has changed (measured on the reference)."
    )
    show_chart(charts.statistic_lines(outputs), f"{model}-output-drift")

with st.expander("Methods: what `auto` chose and why"):
    methods = drift.drop_duplicates("column")[["column", "role", "kind", "method", "threshold", "reason"]]
    show_table(methods, f"{model}-drift-methods", hide_index=True)
    st.caption("Every method the app knows, where it applies and how it decides:")
    show_table(pd.DataFrame(methods_table()), "drift-method-registry", hide_index=True)
with st.expander("All figures"):
    table = pd.pivot_table(features, index="column", columns="label", values="statistic", sort=False)
    show_table(table.round(4), f"{model}-drift")
