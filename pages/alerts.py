"""Alerts: the history with filters, colour by severity, acknowledge and resolve with a note, a
timeline, and the rules (editable)."""

import pandas as pd
import streamlit as st

from monitoring import charts
from monitoring.alerts.evaluate import evaluate_model
from monitoring.alerts.history import STATUSES, change_status, list_alerts
from monitoring.alerts.rules import COMPARISONS, SEVERITIES, Rule, get_rules, save_rules
from monitoring.alerts.watch import METRICS
from pages import common
from pages.access import can_edit, current_user
from pages.downloads import chart_downloads, table_download
from pages.page import header
from pages.text import literal

view = header("Alerts", "What needs attention, what happened before, and the rules that decide.")
store = common.get_store()
with common.shown_errors():
    alerts = pd.DataFrame(list_alerts(store, view.model))

a, b, c = st.columns(3)
severities = a.multiselect("Severity", SEVERITIES, default=list(SEVERITIES), key="alert_severity")
statuses = b.multiselect("Status", STATUSES, default=["open", "acknowledged"], key="alert_status")
kinds = sorted(alerts["metric"].unique()) if not alerts.empty else []
metrics = c.multiselect("Type", kinds, placeholder="all types", key="alert_type")
if can_edit() and st.button("Check the rules now", icon=":material/refresh:"):
    with st.spinner("Evaluating the rules…"), common.shown_errors():
        result = evaluate_model(store, view.model, background=True)
    common.rerun_with_notice(
        f"{len(result.opened)} new, {len(result.resolved)} resolved, {len(result.open)} open."
    )
if alerts.empty:
    st.success("No alert so far for this model.", icon=":material/check_circle:")
else:
    shown = alerts[alerts["severity"].isin(severities) & alerts["status"].isin(statuses)]
    if metrics:
        shown = shown[shown["metric"].isin(metrics)]
    if view.start is not None:
        shown = shown[pd.to_datetime(shown["last_seen"]) >= pd.Timestamp(view.start)]
    st.subheader(f"History ({len(shown)} of {len(alerts)})")
    if not shown.empty:
        timeline = charts.alert_timeline(shown)
        st.altair_chart(timeline, width="stretch")
        chart_downloads(timeline, f"{view.model}-alert-timeline")
    columns = ["id", "severity", "status", "message", "window_label", "first_seen", "last_seen"]
    history = shown[[*columns[:4], "action", *columns[4:], "changed_by", "note", "delivery"]]
    st.dataframe(
        history,
        hide_index=True,
        width="stretch",
        column_config={
            "id": "Alert",
            "severity": "Severity",
            "status": "Status",
            "message": st.column_config.TextColumn("What happened", width="large"),
            "window_label": "Window",
            "action": st.column_config.TextColumn("Recommended action", width="large"),
            "changed_by": "By",
            "delivery": "Notification",
            "first_seen": st.column_config.DatetimeColumn("First seen", format="YYYY-MM-DD HH:mm"),
            "last_seen": st.column_config.DatetimeColumn("Last seen", format="YYYY-MM-DD HH:mm"),
        },
    )
    table_download(history, f"{view.model}-alerts")
    if can_edit() and not shown.empty:
        with st.form("change_alert", clear_on_submit=True):  # a saved note is not offered again
            st.markdown("**Acknowledge or resolve**")
            x, y = st.columns([3, 1])
            picked = x.selectbox(
                "Alert",
                shown["id"].tolist(),
                format_func=lambda i: f"#{i}: {alerts.set_index('id').at[i, 'message']}",
                key="alert_pick",
            )
            status = y.selectbox("New status", ["acknowledged", "resolved", "open"], key="alert_new_status")
            note = st.text_input("Note", placeholder="what you found or did", key="alert_note")
            st.caption(f"Recorded as {literal(current_user())}, the signed-in user.")
            if st.form_submit_button("Save", type="primary") and can_edit():
                with common.shown_errors():
                    change_status(store, int(picked), status, current_user(), note)
                common.rerun_with_notice(f"Alert #{picked} is now {status}.")


def _plain(value):
    """A table cell as a plain Python value (a checkbox column gives numpy booleans)."""
    return value.item() if hasattr(value, "item") else value


st.subheader("Rules")
with common.shown_errors():
    rules = pd.DataFrame([r.to_dict() for r in get_rules(store, view.model)])
st.caption(
    "A rule fires when its metric breaches the threshold in that many consecutive windows. "
    "Scope limits it to one column or attribute; empty means all. The recommended action goes "
    "with every alert of the rule (here, in webhook messages and in the HTML report)."
)
edited = st.data_editor(
    rules,
    hide_index=True,
    width="stretch",
    num_rows="dynamic" if can_edit() else "fixed",
    disabled=not can_edit(),
    column_order=[
        "name",
        "metric",
        "comparison",
        "threshold",
        "severity",
        "action",
        "scope",
        "consecutive",
        "require_significant",
        "enabled",
    ],
    column_config={
        **{c: c.capitalize() for c in ("name", "threshold", "scope", "consecutive", "enabled")},
        "metric": st.column_config.SelectboxColumn("Metric", options=sorted(METRICS), required=True),
        "comparison": st.column_config.SelectboxColumn("Comparison", options=COMPARISONS, required=True),
        "severity": st.column_config.SelectboxColumn("Severity", options=SEVERITIES, required=True),
        "require_significant": st.column_config.CheckboxColumn(
            "Significant only",
            help="Fire only when the whole 95% interval lies beyond the threshold (performance and "
            "fairness disparities): a window with few rows then cannot raise an alert by chance.",
        ),
        "action": st.column_config.TextColumn(
            "Recommended action",
            width="medium",
            help="What to do when the rule fires; leave it empty for the default of its metric and severity.",
        ),
    },
    key="rules_editor",
)
table_download(rules, f"{view.model}-alert-rules")
if can_edit() and st.button("Save rules", icon=":material/save:"):
    if can_edit():
        with common.shown_errors():
            clean = [
                {k: None if isinstance(v, float) and pd.isna(v) else _plain(v) for k, v in r.items()}
                for r in edited.to_dict("records")
            ]
            found = [Rule.from_dict(r) for r in clean]
            save_rules(store, view.model, found)
        common.rerun_with_notice(f"Saved {len(found)} rules.")
