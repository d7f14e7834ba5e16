"""Domain types, one module per layer: findings (detectors), scan, policy, corpus (sources), overlap,
audit (results.json). Frozen so results can be cached and compared; convert holds the JSON helpers."""
