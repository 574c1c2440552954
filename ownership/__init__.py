"""demarc's domain: the ownership registry, contracts, RACI and SLAs. Pure: no I/O libraries."""
