"""Installations: who the app is installed for (the tenant of every row), how, and with which bot token.

A tenant is a workspace, or a whole Enterprise Grid organisation when the app is installed org-wide; two
installations never see each other's data. `tenancy` says which tenant a request belongs to (plain data, no
Slack SDK); `oauth` installs through Bolt's OAuth flow and `pages` says how it went; `tokens` finds the bot
token each tenant's calls carry.
"""
