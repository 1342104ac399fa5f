"""Conversations: Slack channels (usually Slack Connect ones) linked to a customer, whose conversations with the
customer's people become `chat` touchpoints by themselves.

`links` links and unlinks a channel (reversibly, in the audit trail) and reads `/customer acme link #channel`;
`capture` turns the channel's message events into one touchpoint per conversation (a thread, or a run of
messages with no gap over `capture.RUN_GAP`), kept current as messages arrive, are edited or are deleted.
Nothing here calls Slack: the listeners in `handlers/channels.py` ask Slack first and pass the answers in.
"""
