"""Performance: is the model still right, and how right does it look before labels arrive?

`metrics` holds the pure metric functions over counts; `classes` decides the classes, the
positive class and the predicted class; `estimation` estimates metrics from calibrated scores;
`section` builds the report's performance and confusion-matrix records.
"""
