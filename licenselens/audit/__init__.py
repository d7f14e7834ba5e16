"""The audit pipeline: every layer over one manifest (runner), results.json (results, evidence, load) and
the fair-use and AI Act assessment computed from it (assessment); reporters then only render."""
