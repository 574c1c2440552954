"""Read models served over HTTP to machines: the contract status API for pipelines."""
