"""diplowatch: diplomatic events from news, through Airflow, into PostgreSQL."""

__version__ = "0.1.0"
