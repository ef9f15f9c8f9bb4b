"""Where documents wait and results land: memory or spool (a DocStore), the resumable
checkpoint, the output folder."""
