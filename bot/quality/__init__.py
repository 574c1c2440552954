"""Data quality sweeps: measure each contract's checks on the period's rows, record them, and
alert the Responsible team (consumers informed) through the outbox. See docs/quality.md."""
