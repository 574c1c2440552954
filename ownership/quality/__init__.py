"""Data quality: which checks a contract implies (`checks`), which rows of a period they read
(`window`), and what a measured number means against its bound (`verdict`). Pure; the
measuring is `bot.probes.quality`, the alerting `bot.quality`."""
