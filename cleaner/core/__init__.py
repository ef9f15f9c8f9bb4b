"""The shared vocabulary: Document, typed Features, what a stage is, the seams (protocols),
configuration, words and dates."""
