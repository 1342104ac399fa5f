"""Block Kit drawn as Slack draws it: styles, mentions, buttons, selects, modals, the Home tab; text escaped."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

import pytest

from bot.cli import main
from bot.preview.svg import builder_link, message_picture, render_html, render_svg, view_picture
from bot.preview.text import Run, mrkdwn_lines, wrap

SVG = "{http://www.w3.org/2000/svg}"


def spans(svg: str) -> list[tuple[str, dict[str, str]]]:
    root = ElementTree.fromstring(svg)
    return [(span.text or "", dict(span.attrib)) for span in root.iter(f"{SVG}tspan")]


def button(text: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": text}
    if style:
        element["style"] = style
    return element


def test_mrkdwn_becomes_styled_runs() -> None:
    [line] = mrkdwn_lines("*Acme* _soon_ `code` ~old~ <https://acme.com|site> <@U1> :tada: &lt;b&gt;", {"U1": "dana"})

    assert [run for run in line if run.text.strip()] == [
        Run("Acme", bold=True),
        Run("soon", italic=True),
        Run("code", code=True),
        Run("old", strike=True),
        Run("site", link=True),
        Run("@dana", mention=True),
        Run(" 🎉 <b>"),
    ]


def test_long_lines_wrap_within_the_room() -> None:
    lines = wrap([[Run("word " * 40)]], 200, 15)

    assert len(lines) > 3 and all(line[0].text.startswith("word") for line in lines)


def test_a_message_with_fields_context_and_styled_buttons() -> None:
    message = {
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "Logged *call* with <@U0ALICE>"}},
            {
                "type": "section",
                "fields": [{"type": "mrkdwn", "text": "*Stage:* active"}, {"type": "mrkdwn", "text": "x"}],
            },
            {"type": "divider"},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "from the shell"}]},
            {
                "type": "actions",
                "elements": [
                    button("Save", "primary"),
                    button("Delete", "danger"),
                    button("Edit"),
                    {
                        "type": "static_select",
                        "action_id": "dept",
                        "placeholder": {"type": "plain_text", "text": "Department"},
                        "options": [{"text": {"type": "plain_text", "text": "Sales"}, "value": "sales"}],
                    },
                ],
            },
        ]
    }
    svg = render_svg(message_picture(message, ephemeral=True, time_text="10:30", names={"U0ALICE": "alice"}))

    texts = [text for text, _ in spans(svg)]
    assert "Touchpoint" in texts and "10:30" in texts and "👁  Only visible to you" in texts
    assert ("call", {"font-weight": "700"}) in spans(svg)
    assert ("@alice", {"fill": "#1264a3"}) in spans(svg)
    assert 'fill="#007a5a"' in svg and 'fill="#e01e5a"' in svg  # primary and danger buttons
    assert "Department" in texts and "▾" in texts and "<line " in svg


def test_user_text_is_escaped_in_the_picture_and_the_page() -> None:
    message = {
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "&lt;script&gt;alert(1)&lt;/script&gt; & co"}}
        ]
    }
    picture = message_picture(message)

    svg, page = render_svg(picture), render_html(picture, title="<b>")
    assert "<script>" not in svg and "&lt;script&gt;alert(1)" in svg
    assert "<script>" not in page and "<title>&lt;b&gt;</title>" in page
    ElementTree.fromstring(svg)  # well-formed


def test_a_modal_and_the_home_tab() -> None:
    modal = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Log a touchpoint"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Summary"},
                "optional": True,
                "element": {"type": "plain_text_input", "action_id": "v", "multiline": True},
            }
        ],
    }
    modal_texts = [text for text, _ in spans(render_svg(view_picture(modal)))]
    assert modal_texts[:2] == ["Log a touchpoint", "✕"]
    assert (
        "Summary" in modal_texts and " (optional)" in modal_texts and "Save" in modal_texts and "Cancel" in modal_texts
    )

    home_texts = [text for text, _ in spans(render_svg(view_picture({"type": "home", "blocks": []})))]
    assert home_texts[:2] == ["T", "Touchpoint"] and "Home" in home_texts and "About" in home_texts


def test_the_builder_link_carries_the_blocks() -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Müller & Söhne"}}]

    link = builder_link(message_picture({"blocks": blocks}))

    prefix = "https://app.slack.com/block-kit-builder/#"
    assert link.startswith(prefix) and " " not in link
    assert json.loads(unquote(link.removeprefix(prefix))) == {"blocks": blocks}


def test_the_command_draws_a_json_file(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "reply.json"
    source.write_text(json.dumps({"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*Hi*"}}]}))

    assert main(["preview", str(source), "--svg", str(tmp_path / "r.svg"), "--html", str(tmp_path / "r.html")]) == 0

    assert capsys.readouterr().out.startswith("https://app.slack.com/block-kit-builder/#")
    assert ("Hi", {"font-weight": "700"}) in spans((tmp_path / "r.svg").read_text(encoding="utf-8"))
    assert "Open in Block Kit Builder" in (tmp_path / "r.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{", "not JSON"),
        ('{"blocks": 3}', "expected a message"),
        ('{"blocks": [3]}', "every block needs to be an object with a type"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path, capsys: pytest.CaptureFixture[str], content: str, problem: str
) -> None:
    source = tmp_path / "bad.json"
    source.write_text(content)

    assert main(["preview", str(source)]) == 2

    captured = capsys.readouterr()
    assert captured.out == "" and problem in captured.err and captured.err.count("\n") == 1
    assert main(["preview", str(tmp_path / "missing.json")]) == 2
    assert "No such file" in capsys.readouterr().err
