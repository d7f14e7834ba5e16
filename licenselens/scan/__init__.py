"""The scan pipeline: ``runner.scan_tree`` walks trees, runs the detectors on each file (through the
findings cache, on worker processes) and applies the cross-file steps (references, REUSE)."""
