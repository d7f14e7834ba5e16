"""An index's parts held in Ray actors across a cluster: a query's searches run where the arrays are.

Each part's ``PartArrays`` lives in an actor (a worker process that maps the
part's files). For an index in a folder every node needs that folder at the same
path; for an index at a URI (``remote``) each actor fetches only its own part into
its node's cache. The query itself, and the sharing of the per-n-gram
and per-seed limits among parts, stay in ``parts.Parts``: every search is one
round of calls to all actors at once, so the results are exactly the local ones.
"""

from __future__ import annotations

import os

import numpy as np

from licenselens.overlap.parts import PartArrays, Parts
from licenselens.overlap.remote import fetch_part


def call_ray(parts: list, method: str, arguments: list[tuple]) -> list:
    import ray

    return ray.get([getattr(part, method).remote(*args) for part, args in zip(parts, arguments)])


class HeldPart(PartArrays):
    """A part in an actor: the folder ``directory``, or for an index at a URI (``store``: the URI and the sizes
    of its files, from the manifest the query read) that part, fetched into this node's copy first."""

    def __init__(self, directory: str, store: tuple[str, dict[str, int]] | None = None):
        if store:
            uri, sizes = store
            prefix = f"parts/{os.path.basename(directory)}/"
            self.copy = fetch_part(uri, {rel: size for rel, size in sizes.items() if rel.startswith(prefix)})
            directory = os.path.join(self.copy.folder, prefix)
        super().__init__(directory)


def ray_parts(
    directories: list[str], address: str | None = None, store: tuple[str, dict[str, int]] | None = None
) -> Parts:
    """The parts in ``directories`` (of the index at a URI: ``store``, see ``HeldPart``) each in an actor, on the cluster at
    ``address`` (or the one this process joined, or a local one started here); actors are spread over the
    nodes and reserve no CPU."""
    import ray

    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    actor = ray.remote(num_cpus=0, scheduling_strategy="SPREAD")(HeldPart)
    actors = [actor.remote(os.path.abspath(d), store) for d in directories]
    offsets = [np.load(os.path.join(d, "token_offsets.npy")) for d in directories]
    return Parts(actors, offsets, call_ray)
