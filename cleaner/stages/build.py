"""The pipeline's stages, built (and so validated) from one configuration."""

from __future__ import annotations

from dataclasses import dataclass

from cleaner.core.config import Config, ConfigError
from cleaner.core.document import Document
from cleaner.core.stage import Stage
from cleaner.input.read import parse_deferred
from cleaner.stages.boilerplate.strip import StripBoilerplate
from cleaner.stages.extract import Extract
from cleaner.stages.language.detect import DetectLanguage
from cleaner.stages.sign import Sign
from cleaner.stages.templates import Templates


@dataclass
class Stages:
    """The pipeline's steps, in the order the flow (exec/flow.py) runs them."""

    per_document: list[Stage]  # extract, boilerplate, language: anywhere, in any process
    templates: Templates  # corpus-level: needs all documents of a source
    sign: Sign  # per document again, on the final text
    read: "ParseDeferred"  # first, in the workers: what the reader handed on unread or unparsed

    def mapped(self) -> list[Stage]:
        """The steps an executor maps over every document, in order (templates come after,
        over all of them)."""
        return [self.read, *self.per_document, self.sign]


def _check_own_examples(cfg: Config) -> None:
    """A user's rule file (not a shipped one: tests/test_rules.py checks those) is checked
    against its own examples as it loads: a rule that does not tag its `examples.match`
    (a typo in `any`) or tags its `examples.no_match` did nothing, or too much, unsaid."""
    from cleaner.core.config import DEFAULT_CONFIG, read_toml
    from cleaner.stages.boilerplate.rules import load_rules
    from cleaner.stages.boilerplate.tag import example_hits

    # The files the default configuration names (its file read, not loaded and validated
    # again: serial time in every run), not their folder: a user's own file put in
    # configs/rules/ is checked like any other, and so is one a dict configuration names
    # (api, config_from_dict: it keeps the default's path).
    named = read_toml(DEFAULT_CONFIG).get("boilerplate", {}).get("rule_files", [])
    shipped = {(DEFAULT_CONFIG.parent / name).resolve() for name in named}
    for path in cfg.rule_paths():
        if path.resolve() in shipped:
            continue
        for rule in load_rules([path]):
            for kind in rule.examples:  # match, no_match and by language (examples.pt: it must tag them)
                for i, example in enumerate(rule.examples[kind]):
                    tags = kind != "no_match"
                    if example_hits(rule, example, cfg["boilerplate"]["headline_max_words"]) != tags:
                        raise ConfigError(path, f"rule {rule.id!r}.examples.{kind}[{i}]",
                                          f"the rule {'does not tag' if tags else 'tags'} its own "
                                          f"example {example[:80]!r}")


def build_stages(cfg: Config) -> Stages:
    b = cfg["boilerplate"]
    strip = StripBoilerplate(cfg.rule_paths(), b["protect_min_words"], b["max_removed_fraction"],
                             b["headline_max_words"], certain_categories=b["certain_categories"])
    _check_own_examples(cfg)
    unknown = sorted(set(b["certain_categories"]) - {rule.category for rule in strip.rules})
    if unknown:  # a misspelt category would silently protect nothing
        raise ConfigError(cfg.path, "boilerplate.certain_categories",
                          f"no rule has the category {unknown[0]!r} (categories are the rules' `category`)")
    return Stages(
        per_document=[
            Extract(**cfg["extract"]),
            strip,
            DetectLanguage(**cfg["language"]),
        ],
        templates=Templates(**cfg["templates"], protect_min_words=b["protect_min_words"],
                            max_removed_fraction=b["max_removed_fraction"], copy_threshold=cfg["near"]["threshold"]),
        sign=Sign.from_config(cfg),
        read=ParseDeferred(cfg["read"]["max_file_bytes"]),
    )


class ParseDeferred(Stage):
    """JSONL lines the reader handed on unparsed (read_inputs(defer=True)), parsed here,
    and files a URL input names (input/urls.py), read here: in the worker processes;
    other documents pass unchanged."""

    name = "read"

    def __init__(self, max_bytes: int = 1 << 62):
        self.max_bytes = max_bytes

    def process(self, doc: Document) -> Document:
        if doc.raw_path is not None:
            from cleaner.input.urls import read_deferred

            return read_deferred(doc, self.max_bytes)
        return parse_deferred(doc)
