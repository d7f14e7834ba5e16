"""Text signals of corpus documents: anchors found in one pass, licence and copyright regions matched by
ScanCode, opt-out and notice phrases, personal information (rules in rules/*.yaml)."""
