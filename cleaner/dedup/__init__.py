"""Deduplication on features alone: shingles and MinHash signatures, salient terms and
their weights, copy groups, same-story linkage, records."""
