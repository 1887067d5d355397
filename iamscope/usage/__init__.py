"""Usage logs (CloudTrail today, GCP audit logs later) aggregated into a DuckDB store."""
