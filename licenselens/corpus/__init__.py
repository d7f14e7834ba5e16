"""The corpus pipeline: per-document signals of training datasets in resumable shards (runner, process,
analyser), source trees through the scan pipeline (trees), the results table and its per-dataset tally."""
