"""The work the DAGs do, one function per task: ingest a source, plan and process extraction batches."""
