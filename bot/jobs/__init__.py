"""All background work on one APScheduler scheduler (`scheduler`): the periodic jobs and their
intervals (`schedule`) and the freshness check of each contract (`freshness`)."""
