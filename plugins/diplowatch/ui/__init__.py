"""The "Diplomatic events" page and its JSON API, served by the Airflow api-server as a plugin."""
