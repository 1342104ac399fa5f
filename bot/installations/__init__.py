"""Installations: who the app is installed for (the tenant of every row), how, and with which bot token.

A tenant is a workspace, or a whole Enterprise Grid organisation when the app is installed org-wide; two
installations never see each other's data. `tenancy` says which tenant a request belongs to; nothing here
imports Slack's SDKs except where an installation's token is read from slack-sdk's installation store.
"""
