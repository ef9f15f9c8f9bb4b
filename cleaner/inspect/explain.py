"""`cleaner explain OUT A B`: why two documents were, or were not, merged.

Each tier's similarity is computed again from the two cleaned texts in documents.jsonl
with the run's own settings (from its manifest), and set against that tier's threshold;
then the record each document landed in says how the run actually decided (copy groups
compare against their canonical; stories are merged by average linkage over groups, so a
pair can end up together, or apart, for reasons beyond the pair itself).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from cleaner.core.config import Config, ConfigError, config_from_dict
from cleaner.core.document import Document
from cleaner.dedup.stories import lead_names, pair_gate
from cleaner.dedup.terms import is_name
from cleaner.inspect.runs import Run, RunError
from cleaner.store.outdir import MANIFEST
from cleaner.inspect.show import shown
from cleaner.dedup.shingles import shingles
from cleaner.stages.sign import Sign
from cleaner.dedup.signatures import jaccard
from cleaner.dedup.term_weights import TermWeights, doc_terms, shared_evidence, similarity

SHOWN = 12  # shared shingles and terms listed


def _signed(row: dict[str, Any], cfg: Config) -> Document:
    doc = Document(id=row["id"], source=row["source"], text=row["text"] or "", date=row["date"],
                   title=row.get("title"), lang=row.get("lang"))
    return Sign.from_config(cfg).process(doc)


@cache
def _defaults() -> dict[str, dict[str, Any]]:
    return config_from_dict().values  # validating builds an LSH index: 0.1 s, once


def _settings(run: Run) -> Config:
    """The run's settings; keys an older cleaner did not write take today's defaults."""
    saved = run.manifest.get("config") or {}
    known = _defaults()
    merged = {s: {k: v for k, v in (saved.get(s) or {}).items() if k in known[s]} for s in known}
    merged["boilerplate"].pop("rule_files", None)  # rules do not matter here, and paths may be gone
    unusable = f"the run's manifest has settings this cleaner cannot use: {run.dir / MANIFEST}"
    try:
        return config_from_dict(merged)
    except ConfigError as exc:  # a hand-edited manifest: its file and key, not the dict's "<dict>"
        raise RunError(f"{unusable}: config.{exc.key}: {exc.reason}") from None
    except Exception as exc:  # noqa: BLE001 - a value no check foresaw
        raise RunError(f"{unusable}: {exc}") from None


def _membership(run: Run, doc_id: str, record_id: str | None) -> dict[str, Any] | None:
    if record_id is None:
        return None
    record = run.record(record_id)
    member = next((m for m in record["members"] if m["id"] == doc_id), None)
    if member is None:
        raise RunError(f"{doc_id} names record {record_id}, which does not list it: the output files disagree")
    return {"record_id": record_id, "canonical_id": record["canonical_id"], "relation": member["relation"],
            "similarity": member["similarity"], "reason": member["reason"]}


def explain(run: Run, a_id: str, b_id: str) -> dict[str, Any]:
    if a_id == b_id:
        raise RunError("give two different document ids")
    rows = [run.document(a_id), run.document(b_id)]
    for row in rows:
        if row["status"] == "rejected":
            return {"a": a_id, "b": b_id, "merged": False,
                    "verdict": f"{row['id']} was rejected ({row['error']}), so it is in no record"}
    textless = [r["id"] for r in rows if not r["text"]]
    if textless:  # an export of a state keeps canonicals' texts only: 0.0 on every tier would be false
        where = [_membership(run, r["id"], r["record_id"]) for r in rows]
        recorded = "; ".join(f"{i}: {w['relation']} in {w['record_id']} ({w['reason']})"
                             for i, w in zip((a_id, b_id), where) if w is not None)
        return {"a": a_id, "b": b_id, "merged": bool(where[0] and where[1]
                                                     and where[0]["record_id"] == where[1]["record_id"]),
                "records": {a_id: where[0], b_id: where[1]},
                "verdict": f"{' and '.join(textless)} {'has' if len(textless) == 1 else 'have'} no text in {run.dir} (an export of a state keeps only "
                           "canonicals' texts), so the tiers cannot be computed again; as recorded: " + recorded}
    cfg = _settings(run)
    a, b = (_signed(r, cfg) for r in rows)
    near_cfg, story_cfg = cfg["near"], cfg["story"]
    fa, fb = a.features, b.features
    assert fa is not None and fb is not None  # Sign.process computed them
    near_sim = jaccard(fa.near, fb.near)
    shared_shingles = sorted(shingles(a.text, near_cfg["word_ngram"], near_cfg["char_ngram"])
                             & shingles(b.text, near_cfg["word_ngram"], near_cfg["char_ngram"]))
    weigh = TermWeights(story_cfg)
    ta, tb = doc_terms(a, weigh), doc_terms(b, weigh)
    shared_terms, evidence = shared_evidence(weigh, a, ta, b, tb)
    shared_names = [t for t in shared_terms if is_name(t)]
    refused, factor, gap = pair_gate(a, b, len(shared_names), story_cfg["min_shared_terms"],
                                     story_cfg["min_shared_lead_names"], story_cfg["date_window_days"],
                                     story_cfg["outside_window_factor"])
    story_sim = similarity(ta, tb) * factor  # as clustering scores the pair
    tiers = {
        "exact": {"same": fa.exact == fb.exact,
                  "rule": "same words in the same order, ignoring case, punctuation and spacing"},
        "near": {"similarity": round(near_sim, 4), "threshold": near_cfg["threshold"],
                 "passes": near_sim >= near_cfg["threshold"],
                 "measure": f"Jaccard of word {near_cfg['word_ngram']}-gram shingles",
                 "shared": len(shared_shingles), "shared_examples": shared_shingles[:SHOWN]},
        "story": {"similarity": round(story_sim, 4), "threshold": story_cfg["threshold"],
                  "passes": story_sim >= story_cfg["threshold"],
                  "measure": "weighted Jaccard of salient terms (names, numbers, dates; weight by rarity "
                             "in general language and title/lead)",
                  "shared_terms": shared_terms[:SHOWN * 2], "evidence": evidence,
                  # Clustering also weighs terms down by how many of the run's documents
                  # print them; two documents alone cannot say that (records.jsonl's
                  # term_evidence of a story member shows the run's own weights).
                  "corpus_frequency": "not applied: explain sees two documents, not the run",
                  "shared_names": len(shared_names),
                  "min_shared_names": story_cfg["min_shared_terms"],
                  "shared_lead_names": lead_names(a, b), "min_shared_lead_names": story_cfg["min_shared_lead_names"],
                  # Shared terms only inside lines this alike in both texts are not counted.
                  "wording_overlap": story_cfg["wording_overlap"],
                  "days_apart": gap, "date_window_days": story_cfg["date_window_days"],
                  # Beyond the window a pair counts this share of its similarity (0: not at all).
                  "window_factor": factor,
                  "not_compared_because": refused},
    }
    where = [_membership(run, r["id"], r["record_id"]) for r in rows]
    merged = where[0] is not None and where[1] is not None and where[0]["record_id"] == where[1]["record_id"]
    return {"a": a_id, "b": b_id, "merged": merged, "records": {a_id: where[0], b_id: where[1]},
            "tiers": tiers, "verdict": _verdict(merged, tiers, where, a_id, b_id)}


def _verdict(merged: bool, tiers: dict[str, dict[str, Any]], where: list[dict[str, Any] | None], a_id: str,
             b_id: str) -> str:
    near, story = tiers["near"], tiers["story"]
    if merged:
        both = [w for w in where if w is not None]  # merged: both are members of one record
        rel = {w["relation"] for w in both} - {"canonical"}
        return (f"merged into {both[0]['record_id']} (canonical {both[0]['canonical_id']}; "
                f"relation{'s' if len(rel) > 1 else ''}: {', '.join(sorted(rel)) or 'canonical'})")
    if tiers["exact"]["same"]:
        return "same words, yet in different records: this should not happen; please report it"
    reasons = []
    if not near["passes"]:
        reasons.append(f"near: shingle Jaccard {near['similarity']} < {near['threshold']}")
    else:
        reasons.append(f"near: Jaccard {near['similarity']} passes, but copies are compared with their "
                       "group's canonical, not with each other")
    if story["not_compared_because"]:
        reasons.append(f"story: {story['not_compared_because']}")
    elif not story["passes"]:
        reasons.append(f"story: weighted term Jaccard {story['similarity']} < {story['threshold']}")
    else:
        reasons.append(f"story: weighted term Jaccard {story['similarity']} passes for the pair, but records merge "
                       "on the average over all their members (average linkage), which stayed below "
                       f"{story['threshold']}, or the split step kept two cohesive groups apart (story.split_ratio), or, "
                       "in a component of 4+ linked documents, the similarity on the component's own term "
                       "weights stayed below story.local_threshold (story.local_df_factor)")
    return f"not merged ({a_id} and {b_id} are in different records): " + "; ".join(reasons)


def format_explanation(result: dict[str, Any]) -> str:
    lines = [f"{result['a']}  vs  {result['b']}", f"  verdict: {result['verdict']}"]
    if "tiers" not in result:
        return "\n".join(shown(line) for line in lines)
    t = result["tiers"]
    lines.append(f"  exact: {'same' if t['exact']['same'] else 'different'} ({t['exact']['rule']})")
    n = t["near"]
    lines.append(f"  near:  {n['similarity']:.4f} vs threshold {n['threshold']} "
                 f"({'passes' if n['passes'] else 'below'}; {n['measure']}; {n['shared']} shared)")
    for s in n["shared_examples"]:
        lines.append(f"         = {s}")
    s = t["story"]
    lines.append(f"  story: {s['similarity']:.4f} vs threshold {s['threshold']} "
                 f"({'passes' if s['passes'] else 'below'}; {s['measure']}; "
                 f"{s['shared_names']} shared names, {s['min_shared_names']} needed; "
                 f"{len(s['shared_lead_names'])} in both leads, {s['min_shared_lead_names']} needed; "
                 f"days apart: {'unknown' if s['days_apart'] is None else s['days_apart']}, "
                 f"window {s['date_window_days']}"
                 + (f", so its similarity counts x{s['window_factor']}" if s["window_factor"] != 1 else "") + ")")
    lines.append(f"         (weights from general language, title/lead and dates; corpus frequency "
                 f"{s['corpus_frequency']})")
    for e in s["evidence"]:
        lines.append(f"         {e['term']:<20} weight {e['weight']:>6.1f}  ({e['from']})")
    if len(s["shared_terms"]) > len(s["evidence"]):
        lines.append(f"         and {len(s['shared_terms']) - len(s['evidence'])} lighter shared term(s): "
                     + ", ".join(s["shared_terms"][len(s["evidence"]):]))
    for doc_id, where in result["records"].items():
        if where:
            lines.append(f"  {doc_id}: {where['relation']} in {where['record_id']} "
                         f"(canonical {where['canonical_id']}): {where['reason']}")
    return "\n".join(shown(line) for line in lines)  # ids and terms are data, not terminal commands
