"""Synthetic multilingual news with clutter and near copies, for benchmarks.

Base articles are made of real sentences from ../shared/data/lingua-sentences (public,
Leipzig corpora) when present, else of generated pseudo-words; copies are the base with a
share of words replaced, clutter lines added or dropped, or the end cut off. Every item
carries its gold label (the base it comes from) and how it was made.

    python3 bench/generate.py 1000 --out /tmp/synthetic.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "lingua-sentences"
LANGS = ("en", "de", "fr", "es", "it", "ru", "uk", "pl", "zh")
EDIT_LEVELS = (0.0, 0.02, 0.05, 0.10, 0.20)

# Clutter a copy gains or loses, written for this generator and kept apart from the rule
# files' examples (tests/test_benches.py checks): the near tier must find copies whatever
# clutter they carry, not because the boilerplate rules happen to know these exact lines.
# {site} and {year} vary per item, so no two outlets print quite the same line.
CLUTTER = {
    "en": ["Get the {site} evening digest in your inbox every weekday", "More stories from {site}",
           "This page uses cookies to measure traffic. Carry on reading and we assume you accept.",
           "Copyright {year} {site} Ltd, reproduction prohibited", "Share on social media"],
    "de": ["Den {site}-Morgenbrief jeden Tag gratis per E-Mail", "Weitere Artikel von {site}",
           "Diese Seite setzt Cookies ein, um Zugriffe zu messen. Wer weiterliest, akzeptiert das.",
           "Copyright {year} {site} GmbH, Nachdruck untersagt"],
    "fr": ["Recevez chaque soir la lettre de {site}", "Plus d'articles de {site}",
           "Ce site dépose des cookies pour mesurer l'audience ; poursuivre la lecture vaut accord.",
           "Copyright {year} {site}, reproduction interdite"],
    "es": ["Recibe cada mañana el resumen de {site}", "Más noticias de {site}",
           "Esta página usa cookies para medir visitas; si sigue leyendo, las acepta.",
           "Copyright {year} {site}, prohibida su reproducción"],
    "it": ["Ricevi ogni sera la newsletter di {site}", "Altre notizie da {site}",
           "Questa pagina usa cookie per misurare le visite; continuando a leggere li accetti.",
           "Copyright {year} {site}, vietata la riproduzione"],
    "ru": ["Получайте вечернюю рассылку {site} каждый день", "Другие материалы {site}",
           "Сайт использует cookie для подсчёта посещений; продолжая чтение, вы с этим согласны.",
           "Copyright {year} {site}, перепечатка запрещена"],
    "uk": ["Отримуйте вечірню розсилку {site} щодня", "Інші матеріали {site}",
           "Сайт використовує cookie для підрахунку відвідувань; читаючи далі, ви погоджуєтеся.",
           "Copyright {year} {site}, передрук заборонено"],
    "pl": ["Codzienny biuletyn {site} prosto na twoją skrzynkę", "Więcej artykułów z {site}",
           "Copyright {year} {site}, przedruk zabroniony"],
    "zh": ["订阅{site}每日早报", "更多{site}新闻", "版权所有 {year} {site} 未经许可不得转载"],
}
SITES = ("Harbourline", "Morgenpost Nord", "Le Veilleur", "Diario del Valle", "Gazzetta Alpina",
         "Вечерний курьер", "Ранковий вісник", "Kurier Pomorski", "东方晨报")


def clutter_line(lang: str, rng: random.Random) -> str:
    return rng.choice(CLUTTER[lang]).format(site=rng.choice(SITES), year=rng.randint(2015, 2026))


# The folder generate() reads when not given one: a bench's --data sets it (use_data), so
# `--data` reaches the generated articles too (engine_bench, state_bench and throughput_bench
# read ../shared/data/lingua-sentences whatever --data said).
_FOLDER = [DATA]
# Set by use_data for a real (not --smoke) run: no sentences is then an error (NoSentences),
# not a fallback. Pseudo-word figures went into a session's notes unnoticed (session 28).
_STRICT = [False]


class NoSentences(SystemExit):
    """A real bench run found no sentences: its generated articles would be pseudo-words, so
    it would measure something else. A SystemExit: uncaught, one line and exit status 1; a
    bench of several parts catches it and skips the part."""


def use_data(shared: Path, smoke: bool) -> None:
    """generate() reads `shared`/lingua-sentences from now on; unless `smoke`, none there is
    NoSentences rather than pseudo-words."""
    _FOLDER[0] = shared / "lingua-sentences"
    _STRICT[0] = not smoke


# Folders whose sentences were missing, so generated text fell back to pseudo-words. A bench
# records it (results_file.save_json) and it is said once on stderr: pseudo-word articles are
# shorter and have ~5x fewer distinct words, so figures on them are not comparable (a state
# bench run from a copy of the tree outside /work once measured them without noticing).
PSEUDO_WORDS: set[str] = set()


def load_sentences(lang: str, data: Path | None = None) -> list[str]:
    data = _FOLDER[0] if data is None else data
    path = data / f"{lang}.txt"
    if path.exists():
        return [s.strip() for s in path.read_text(encoding="utf-8").splitlines() if len(s.split()) >= 5 or lang == "zh"]
    if _STRICT[0]:
        raise NoSentences(f"no sentences in {data} ({lang}.txt): generated articles would be pseudo-words, "
                          "not comparable; --data names the shared data folder (--smoke allows pseudo-words)")
    if str(data) not in PSEUDO_WORDS:
        PSEUDO_WORDS.add(str(data))
        print(f"generate: no sentences in {data}: articles use pseudo-words (figures not comparable with "
              "real-sentence runs)", file=sys.stderr)
    rng = random.Random(lang)
    syll = ["ka", "lo", "mi", "ne", "ru", "ta", "ve", "so", "pi", "da"]
    return [" ".join("".join(rng.choice(syll) for _ in range(rng.randint(1, 3))) for _ in range(12)).capitalize() + "."
            for _ in range(500)]


_CAPITAL_INSIDE = re.compile(r"(?<=[^.!?]\s)([A-ZÀ-ÞА-ЯЁІЇЄ])(?=\w)")


def _own_names(lines: list[str], names: list[str], rng: random.Random) -> list[str]:
    """Lower-case the names the source sentences bring (shared across unrelated articles
    drawn from one sentence pool) and put the article's own names in instead, so that
    articles relate like news: copies and same-story pieces share names, others do not."""
    out = []
    for line in lines:
        line = _CAPITAL_INSIDE.sub(lambda m: m.group(1).lower(), line)
        words = line.split(" ")
        for name in rng.sample(names, min(2, len(names))):
            words.insert(rng.randint(1, max(1, len(words) - 1)), name)
        out.append(" ".join(words))
    return out


def _edit(words: list[str], share: float, vocab: list[str], rng: random.Random) -> list[str]:
    words = list(words)
    for i in rng.sample(range(len(words)), int(round(share * len(words)))):
        words[i] = rng.choice(vocab)
    return words


def generate(n: int, seed: int = 0, copy_share: float = 0.4, sentences: int = 20,
             langs: tuple[str, ...] = LANGS, data: Path | None = None) -> list[dict]:
    """n items: bases, and copies of some of them (each with `gold` and `made`)."""
    rng = random.Random(seed)
    pools = {lang: load_sentences(lang, data) for lang in langs}
    vocab = {lang: sorted({w for s in pool[:300] for w in s.split()}) for lang, pool in pools.items()}
    items: list[dict] = []
    n_bases = max(1, int(round(n * (1 - copy_share))))
    bases = []
    for b in range(n_bases):
        lang = langs[b % len(langs)]
        body = rng.sample(pools[lang], min(sentences, len(pools[lang])))
        if lang != "zh":
            names = [f"{rng.choice('BDKLMNPRSTV')}{rng.choice('aeiou')}{b:x}{rng.choice('dnrst')}" for _ in range(6)]
            body = _own_names(body, names, rng)
        bases.append((f"base-{b:06d}", lang, body))
        lines = [body[0][:80]] + [" ".join(body[i : i + 3]) for i in range(1, len(body), 3)]
        if rng.random() < 0.5:
            lines.insert(rng.randint(1, len(lines)), clutter_line(lang, rng))
        items.append({"id": f"base-{b:06d}", "text": "\n".join(lines), "gold": f"base-{b:06d}", "lang": lang,
                      "made": "base"})
    k = 0
    while len(items) < n:
        base_id, lang, body = bases[k % n_bases]
        kind = ("edit", "edit", "edit", "clutter", "truncate")[k % 5]
        level = EDIT_LEVELS[(k // 5) % len(EDIT_LEVELS)] if kind == "edit" else 0.0
        lines = [body[0][:80]] + [" ".join(body[i : i + 3]) for i in range(1, len(body), 3)]
        if kind == "edit":
            sep = "" if lang == "zh" else " "
            lines = [sep.join(_edit(list(l) if lang == "zh" else l.split(), level, vocab[lang] if lang != "zh" else list("的一是在不了有和人这中大为上个国我以要他"), rng))
                     for l in lines]
        elif kind == "clutter":
            for _ in range(2):
                lines.insert(rng.randint(1, len(lines)), clutter_line(lang, rng))
        else:
            lines = lines[: max(2, int(len(lines) * 0.8))]
        made = f"edit {level:.0%}" if kind == "edit" else kind
        items.append({"id": f"{base_id}-copy{k:06d}", "text": "\n".join(lines), "gold": base_id, "lang": lang,
                      "made": made})
        k += 1
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with open(args.out, "w", encoding="utf-8") as fh:
        for item in generate(args.n, args.seed):
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
