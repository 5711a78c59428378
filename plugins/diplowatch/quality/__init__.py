"""Data quality: Great Expectations suites over articles and events, with row-level quarantine.

`validate.validate_rows` splits a batch into rows to load and rows to quarantine,
`quarantine.to_quarantine_records` shapes the latter for the warehouse, and
`report.write_report` writes a static HTML page per run. Importing this package
does not import Great Expectations.
"""
