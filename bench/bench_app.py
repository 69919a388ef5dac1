"""The service as gunicorn serves it, plus one bare endpoint to compare against."""

from __future__ import annotations

from cookieconsent import create_app

app = create_app()


@app.get("/bench/bare")
def bare() -> dict[str, bool]:
    """Does no work: the floor that Flask, gunicorn and the client set."""
    return {"ok": True}
