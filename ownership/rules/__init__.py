"""The registry's cross-file rules, one function each; `ownership.validation` runs them in order.

references   every name points at something: teams, disciplines, assets, activities
raci         someone is Responsible and exactly one team Accountable, for activities and assets
lineage      upstream links form no cycle
antipatterns what a careful reviewer flags: no runbook, no on-call channel, no consumers …
notices      change notices name a contract, keep its notice period, and reach a channel

A rule takes a `RuleContext` (and the entity it checks) and yields the problems it finds.
"""
