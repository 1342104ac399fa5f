"""Follow-ups: the promises made at a touchpoint, and the nudges that keep them.

`operations` is what people do with a follow-up (done, snooze, hand over, list, digest settings);
`rules` says what is due when, as plain functions of `now`; `pacing` keeps within Slack's rate limits;
`senders` posts one nudge, catch-up or digest; `dispatch` claims due follow-ups and hands them to senders.
"""
