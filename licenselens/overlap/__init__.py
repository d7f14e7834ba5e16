"""The n-gram overlap engine: an on-disk index of a corpus, and checks of model outputs against it.

Serving pipelines open an index once and check texts one by one::

    from licenselens.overlap import OverlapIndex
    index = OverlapIndex("INDEX_DIR")
    result = index.check(text)   # OutputResult: verdict, spans, coverage, ...
"""

from licenselens.overlap.query import OverlapIndex

__all__ = ["OverlapIndex"]
