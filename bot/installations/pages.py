"""The pages a person installing the app sees in their browser after Slack sends them back: what happened, and
what to do next. Plain HTML; everything Slack or the request said is escaped."""

from __future__ import annotations

from html import escape

INSTALL_PATH = "/slack/install"

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Touchpoint · {title}</title><link rel="icon" href="data:,">
<style>body {{ font-family: sans-serif; max-width: 40em; margin: 3em auto; padding: 0 1em; line-height: 1.5 }}</style>
</head>
<body>
<h1>{title}</h1>
{body}
</body>
</html>
"""

_START_AGAIN = f'<p><a href="{INSTALL_PATH}">Start the install again</a>.</p>'

# Why Bolt's OAuth flow stopped (its `reason`), in words for the person in the browser. Nothing was saved.
_FAILURES = {
    "access_denied": (
        "Install cancelled",
        "<p>Touchpoint was not installed: the install was cancelled on Slack's page. Nothing was changed.</p>",
    ),
    "invalid_browser": (
        "This install link is not yours",
        "<p>This page was opened without the install that started it in this browser (its cookie is missing or"
        " does not match), so it was refused and nothing was saved. Start from the install page in the browser"
        " you will approve it in.</p>",
    ),
    "invalid_state": (
        "This install link has expired",
        "<p>This install link was used already or is too old, so it was refused and nothing was saved.</p>",
    ),
    "missing_code": (
        "Slack sent no authorisation",
        "<p>Slack came back without an authorisation code, so nothing was installed.</p>",
    ),
    "invalid_code": (
        "Slack refused the install",
        "<p>Slack did not accept this install's authorisation (it expired, was used already, or the app's"
        " <code>SLACK_CLIENT_ID</code> and <code>SLACK_CLIENT_SECRET</code> are not this app's), so nothing was"
        " saved.</p>",
    ),
}


def success_page(*, name: str | None, is_enterprise_install: bool) -> str:
    """Installed: where, and the next step (an org-wide install is added to its workspaces by an org admin)."""
    where = escape(name or "your workspace")
    if is_enterprise_install:
        body = (
            f"<p>Touchpoint is installed for the whole organisation <strong>{where}</strong>.</p>"
            "<p><strong>Next:</strong> add it to the workspaces that should use it. In Slack, open the"
            " <em>Admin dashboard</em> (Organisation settings), then <em>Integrations → Installed apps →"
            " Touchpoint → Add to more workspaces</em>. Every workspace you add shares one set of customers,"
            " touchpoints and follow-ups.</p>"
            "<p>Then, in any of them, type <code>/log help</code>.</p>"
        )
    else:
        body = (
            f"<p>Touchpoint is installed in <strong>{where}</strong>.</p>"
            "<p><strong>Next:</strong> in any channel, type <code>/log help</code>; <code>/customer</code> looks"
            " a customer up. Reinstalling later keeps everything logged.</p>"
        )
    return _PAGE.format(title="Touchpoint is installed", body=body)


def failure_page(reason: str, *, missing_scopes: list[str] | None = None) -> str:
    """The install did not happen: why, in words, and the way to start again."""
    if missing_scopes:
        title = "Permissions missing"
        body = (
            "<p>The install did not grant what Touchpoint needs to work, so it was refused and nothing was saved."
            " Missing: "
            + ", ".join(f"<code>{escape(scope)}</code>" for scope in missing_scopes)
            + ".</p><p>Install again and approve every permission Slack asks for.</p>"
        )
    elif reason in _FAILURES:
        title, body = _FAILURES[reason]
    elif reason == "storage_error":
        title, body = "Could not save the install", "<p>The install could not be saved; nothing was kept.</p>"
    else:
        title = "Touchpoint was not installed"
        body = f"<p>Slack said: <code>{escape(reason[:200])}</code>. Nothing was saved.</p>"
    return _PAGE.format(title=escape(title), body=body + _START_AGAIN)
