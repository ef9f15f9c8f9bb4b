"""README's table of boilerplate rule categories x languages, made from the rule files.

A cell counts the rules of that category that have examples in that language:
`examples.<lang> = [...]` in configs/rules/*.toml, lines the rule must tag
(tests/test_rules.py checks each one). Rules with no such examples work on shape, not
words ("©", "/Reuters", a bullet and a headline), and are listed under the table.

    python3 bench/rules_table.py           # print the table
    python3 bench/rules_table.py --write   # put it into README.md, between the markers
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaner.core.config import load_config  # noqa: E402

LANGUAGES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
             "nl": "Dutch", "pl": "Polish", "cs": "Czech", "sv": "Swedish", "ro": "Romanian", "el": "Greek",
             "tr": "Turkish", "ru": "Russian", "uk": "Ukrainian", "ar": "Arabic", "zh": "Chinese", "ja": "Japanese",
             "ko": "Korean"}
BEGIN = "<!-- rules-table: made by bench/rules_table.py --write; tests/test_rules.py checks it -->"
END = "<!-- /rules-table -->"


def raw_rules(paths: list[Path] | None = None) -> list[dict]:
    paths = load_config(None).rule_paths() if paths is None else paths
    return [r for p in paths for r in tomllib.loads(Path(p).read_text(encoding="utf-8")).get("rule", [])]


def language_examples(rule: dict) -> dict[str, list[str]]:
    return {k: v for k, v in rule.get("examples", {}).items() if k not in ("match", "no_match")}


def table(rules: list[dict] | None = None) -> str:
    rules = raw_rules() if rules is None else rules
    categories = list(dict.fromkeys(r["category"] for r in rules))
    count = {c: sum(r["category"] == c for r in rules) for c in categories}
    rows = ["| language | " + " | ".join(f"{c} ({count[c]})" for c in categories) + " |",
            "|---|" + "---:|" * len(categories)]
    for code, name in LANGUAGES.items():
        cells = [sum(r["category"] == c and code in language_examples(r) for r in rules) for c in categories]
        rows.append(f"| {name} ({code}) | " + " | ".join(str(n) if n else "-" for n in cells) + " |")
    neutral = [r["id"] for r in rules if not language_examples(r)]
    return "\n".join(rows) + "\n\nIn every language (shape, not words): " + ", ".join(f"`{i}`" for i in neutral) + "."


def readme_section(text: str) -> str:
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")


def main() -> int:
    if "--write" in sys.argv[1:]:
        path = ROOT / "README.md"
        text = path.read_text(encoding="utf-8")
        head, rest = text.split(BEGIN, 1)
        path.write_text(head + BEGIN + "\n" + table() + "\n" + END + rest.split(END, 1)[1], encoding="utf-8")
    else:
        print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
