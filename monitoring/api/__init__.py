"""The HTTP intake API: `python -m monitoring serve` (app.py builds the FastAPI app, auth.py holds
the bearer tokens)."""
