"""The HTTP API other systems use to log touchpoints and read customers' stories (`/api/v1/…`).

`tokens` issues and checks bearer tokens (one workspace each, only a hash kept), `intake` turns a posted
record into a touchpoint through `bot.capture.touchpoints`, `routes` answers the WSGI requests, `openapi`
describes it all.
"""
