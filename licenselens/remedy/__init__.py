"""Remedies built on the evidence: the cleaned corpus (clean) and a rights holder's trace (trace)."""
