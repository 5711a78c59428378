"""Airflow plugin: the "Diplomatic events" page and its API under the api-server at /diplowatch.

Airflow imports this file from the plugins folder in every component, so it stays
cheap: it builds a FastAPI app (no spaCy, no database connection; the warehouse
is reached on the first request) and declares a navigation entry that shows the
page inside the Airflow UI. Every route checks the caller's Airflow login
(see diplowatch.ui.app.airflow_user).
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from diplowatch.ui.app import app as events_app

URL_PREFIX = "/diplowatch"


class DiplowatchEventsPlugin(AirflowPlugin):
    """Mounts the events app and links it from the Airflow navigation."""

    name = "diplowatch_events"
    fastapi_apps = [
        {"app": events_app, "url_prefix": URL_PREFIX, "name": "Diplomatic events"},
    ]
    external_views = [
        {
            "name": "Diplomatic events",
            # Relative to the api-server's base URL (the UI resolves it against <base href>),
            # so the link also works when Airflow is served under a sub-path.
            "href": URL_PREFIX.lstrip("/") + "/",
            "destination": "nav",
            "url_route": "diplomatic-events",  # shown inside the UI at /plugin/diplomatic-events
            "nav_top_level": True,
        },
    ]
