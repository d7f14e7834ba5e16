"""Sources: the dataset manifest, file trees as a repository scanner sees them, and document readers by
format, each planning its inputs into shards (the registry in ``readers.READERS``)."""
