"""Follow-ups: the promises made at a touchpoint, and the nudges that keep them.

`operations` is what people do with a follow-up (done, snooze, hand over, list, digest settings);
`rules` says what is due when, as plain functions of `now`; `pacing` keeps within Slack's rate limits;
`dispatch` claims due follow-ups and its senders post each nudge, catch-up or digest; `crossing` finds the
scheduled instants a jumping clock crossed, so a pass stops at each.
"""
