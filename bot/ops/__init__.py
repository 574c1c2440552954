"""Running it in production: JSON logs with secrets scrubbed, Prometheus metrics."""
