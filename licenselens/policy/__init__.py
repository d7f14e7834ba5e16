"""The policy layer: licence policies and their verdicts (loading, evaluate, baseline), licence obligations,
and the rules/ texts of the fair-use rationale and the AI Act summary applied to measured evidence."""
