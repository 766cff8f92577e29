"""Model monitoring: store prediction logs in DuckDB, compute drift, performance, fairness,
data quality and operations per window, raise alerts. No Streamlit in here."""

from monitoring.errors import MonitoringError
from monitoring.store import Store

__all__ = ["MonitoringError", "Store"]
