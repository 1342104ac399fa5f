"""Running Touchpoint with no Slack: a local Web API stand-in, signed requests as Slack sends them, the shell.

`slack_standin` serves Slack's Web API on loopback and records every call, `simulator` builds and signs the
requests Slack would send, `terminal` renders Block Kit as text, `demo` is the sample a new store can start
with, and `shell` ties them into `touchpoint shell`.
The test suite uses the same pieces, so what the shell shows is what Slack would show; `socket_mode_standin`,
Slack's Socket Mode endpoint for `touchpoint socket`, is the tests' alone (it needs the `test` extra).
"""
