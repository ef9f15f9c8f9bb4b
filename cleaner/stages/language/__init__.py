"""Language detection: the script where one language alone writes it, else langdetect
(seeded)."""
