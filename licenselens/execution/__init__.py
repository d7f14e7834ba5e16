"""The execution layer: runs any stage's tasks locally (a process pool that survives dying workers) or on
Ray, with the same results, and stores resumable shard outputs (one store for corpus runs and index builds)."""
