"""What to fetch: the sources of config/sources.yml, and the local server for the offline sample."""
