"""Data requests (issue 17): the use case between the request modal and the registry's git."""
