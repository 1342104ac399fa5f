"""What Touchpoint's messages look like in Slack, drawn without Slack: Block Kit to SVG and HTML.

`text` reads mrkdwn into styled runs and measures them; `svg` lays blocks out the way Slack's clients do
(sections with fields and an accessory, context, dividers, buttons in their styles, selects, inputs) inside a
message, a modal or the Home tab, and writes an SVG picture or an HTML page holding it; `samples` makes the
README's pictures from the very Block Kit the app sends, by running the real app on the demo's sample.
Pure Python: no browser, no network. `touchpoint preview` (bot/cli/preview.py) is the command.
"""
