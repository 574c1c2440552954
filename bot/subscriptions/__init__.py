"""Subscriptions: a person follows an asset and hears about it by DM (through the outbox).

`store` keeps who follows what; `notify` turns a breach, a recovery, an incident change or a
breaking-change announcement into DMs, in the transaction of the change (wired as hooks in
`bot.bootstrap`, so freshness, incidents and changes import nothing from here).
"""
