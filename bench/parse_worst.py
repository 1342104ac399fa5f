"""Worst-case time to parse one `/log` line: adversarial lines of Slack's maximum length, beside a floor.

    .venv/bin/python bench/parse_worst.py [--chars 4000] [--random 200] [--repeat 5] [--customers 2000]
                                          [--source DIR]

1. Builds an in-memory name index of --customers generated names (the shapes below name "Acme").
2. Times `bot.capture.parsing.parse_log_line` on hand-written adversarial lines (long runs of "-", spaces, "#", ":",
   "—", "@", digits, repeated markers and time phrases, unclosed mentions, emoji, mixed scripts), each cut
   or padded to --chars, and on --random lines composed of runs of those pieces (seeded, so runs compare).
   Each line is parsed --repeat times; interleaved with it, in the same run, the floor: `str.split()` of the
   same line, which any parse must at least match.
3. Prints a Markdown table (p50 and max per shape) and the goal: every line parses in < 50 ms.

--source DIR parses with bot/ from DIR instead (a patched or older copy), to compare before and after; an old
copy may take minutes on the worst shapes. Exit status 0 when the goal is met.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
GOAL_MS = 50.0
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")

PIECES = [
    "-", " ", "#", ":", "—", "–", "@", "7", ",", ".", "\u00a0", "follow up ", "in 3 days ", "ping ", "f/u-",
    "and ", "- ", " -", ": ", "<@U1> ", "<@U1|ping ", "<", "😀", "日本語 ", "العربية ", "Müller ", "x",
]  # fmt: skip


def shapes(chars: int) -> dict[str, str]:
    """Each shape once cost time quadratic or cubic in its length (or would, written naively)."""

    def fill(head: str, run: str, tail: str) -> str:
        room = chars - len(head) - len(tail)
        return head + (run * (room // len(run) + 1))[:room] + tail

    return {
        "dashes, then a clause": fill("Acme: notes ", "-", "x, follow up friday"),
        "spaces, then a clause": fill("Acme", " ", "x: follow up friday"),
        "spaces, no separator": fill("a", " ", "a"),
        "em dashes and spaces": fill("Acme ", "— ", " x follow up friday"),
        "commas, dots, dashes": fill("Acme: notes ", ",-. ", "x, and follow up friday"),
        "hashes": fill("Acme: ", "#", ""),
        "colons": fill("Acme", ":", ""),
        "at signs": fill("Acme: ", "@", ""),
        "digits after a marker": fill("Acme: follow up ", "1", ""),
        "'follow up' repeated": fill("Acme: ", "follow up ", ""),
        "'in 3 days' repeated": fill("Acme: follow up ", "in 3 days ", ""),
        "'ping' repeated": fill("Acme: ", "ping ", ""),
        "'ping dec 3' repeated": fill("Acme: ", "ping dec 3 ", ""),
        "mentions and markers": fill("Acme: ", "<@U1> ping ", ""),
        "unclosed mention labels": fill("Acme: ", "ping <@U1|", ""),
        "emoji": fill("Acme: ", "😀", " follow up friday"),
        "mixed scripts": fill("Acme: ", "日本語 العربية Müller ñ ", " f/u friday"),
    }


def random_lines(count: int, chars: int, rng: random.Random) -> list[str]:
    lines = []
    for _ in range(count):
        head = rng.choice(["", "Acme: ", "Acme ", "acme.com - "])
        tail = rng.choice(["", " follow up friday", ", f/u in 2 weeks", " ping <@U1> tomorrow 3pm"])
        body = "".join(rng.choice(PIECES) * rng.randint(1, chars) for _ in range(rng.randint(1, 4)))
        lines.append(head + body[: chars - len(head) - len(tail)] + tail)
    return lines


def name_index(customers: int, rng: random.Random):
    from bot.customers.matching import NameIndex, NameRow
    from bot.text import name_keys

    syllables = ["ac", "me", "glo", "bex", "ini", "tech", "way", "ne", "um", "bre", "lla", "sto", "ark", "mü", "ller"]
    forms = ["", " GmbH", " Corp", " Inc", " Systems", " AG"]
    names = {"Acme Corp", "Globex", "Müller GmbH"}
    while len(names) < customers:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).title()
        names.add(word + rng.choice(forms))
    rows, row_id = [], 0
    for customer_id, name in enumerate(sorted(names), start=1):
        for key in sorted(name_keys(name)):
            row_id += 1
            rows.append(NameRow(row_id, customer_id, key))
    index = NameIndex()
    index.add(rows)
    return index


def measure(line: str, repeat: int, parse) -> tuple[list[float], list[float]]:
    parses, floors = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        line.split()
        floors.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        parse(line)
        parses.append((time.perf_counter() - started) * 1000)
    return parses, floors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=4000, help="length of each line (Slack's maximum: 4000)")
    parser.add_argument("--random", type=int, default=200, help="random lines besides the hand-written shapes")
    parser.add_argument("--repeat", type=int, default=5, help="parses of each line")
    parser.add_argument("--customers", type=int, default=2000, help="names in the index")
    parser.add_argument("--source", type=Path, default=ROOT, help="directory whose bot/ is measured")
    args = parser.parse_args()
    sys.path.insert(0, str(args.source.resolve()))

    from bot.capture.due_times import warm_up
    from bot.capture.parsing import parse_log_line

    rng = random.Random(10)
    names = name_index(args.customers, rng)
    warm_up()  # dateparser's first use costs about a second: paid at boot in production, so not measured

    def parse(line: str) -> None:
        parse_log_line(line, names, now=NOW, tz=BERLIN, author="U0BENCH")

    rows = []
    worst = 0.0
    for name, line in shapes(args.chars).items():
        parses, floors = measure(line, args.repeat, parse)
        rows.append((name, len(line), parses, floors))
    randoms = [measure(line, args.repeat, parse) for line in random_lines(args.random, args.chars, rng)]
    if randoms:
        parses = [ms for timings, _ in randoms for ms in timings]
        floors = [ms for _, timings in randoms for ms in timings]
        rows.append((f"{args.random} random compositions", args.chars, parses, floors))

    print(f"parse_log_line on lines of {args.chars} characters, {args.repeat} parses each, bot/ from {args.source}\n")
    print("| line | chars | parse p50 ms | parse max ms | floor `str.split` p50 ms | p50 / floor |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, chars, parses, floors in rows:
        p50, floor = statistics.median(parses), statistics.median(floors)
        worst = max(worst, max(parses))
        print(f"| {name} | {chars} | {p50:.2f} | {max(parses):.2f} | {floor:.3f} | {p50 / floor:.0f}× |")
    met = worst < GOAL_MS
    print(f"\n| goal | result |\n| --- | --- |\n| every line < {GOAL_MS:.0f} ms | **{worst:.1f} ms** worst "
          f"({'met' if met else 'NOT met'}) |")  # fmt: skip
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
