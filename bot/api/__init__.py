"""The HTTP API other systems use to log touchpoints and read customers' stories (`/api/v1/…`).

`tokens` issues and checks bearer tokens (one workspace each, only a hash kept); `intake` turns a posted
record into a touchpoint through `bot.capture.touchpoints`; `people` asks Slack who an e-mail address is,
before any write; `reads` answers the searches and pages; `routes` is the plain WSGI application that
`bot.server` mounts beside `/slack/events`; `openapi` describes it all.
"""
