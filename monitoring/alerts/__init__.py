"""Alerts: rules over the report's figures, their history, and who gets told.

Below the report: `rules` (what a rule is, the defaults, storage), `watch` (the figures a rule
can watch), `messages` (plain-language sentences), `findings` (rules applied to a report),
`history` (the stored alerts and the report's alerts section). Above it: `evaluate` (build the
report, apply the rules, store, notify). `notify` sends webhooks; `rules_file` imports and
exports rules as YAML or TOML.
"""
