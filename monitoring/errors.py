"""One exception family. Messages say what is wrong and how to fix it."""


class MonitoringError(Exception):
    """Base of every error a user can act on; pages and the CLI show its message as is."""


class InputError(MonitoringError):
    """A file or value the user gave us cannot be used as it is."""


class SchemaError(InputError):
    """A file does not fit the model's columns."""


class NotFoundError(MonitoringError):
    """A model, batch or alert that was asked for does not exist."""


class StoreBusyError(MonitoringError):
    """Another process held the database for longer than we were willing to wait."""
