"""The memory of a process and all its children, as Linux accounts for shared pages: used by the scan memory
test and by bench/scan_memory.py."""

from __future__ import annotations


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants, found through /proc's children lists."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as fh:
                todo += [int(c) for c in fh.read().split()]
        except OSError:
            continue  # gone meanwhile
    return found


def pss(pid: int) -> int:
    """Proportional set size in bytes: a page shared by n processes counts 1/n in each (0 once gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("Pss:")) * 1024
    except (OSError, StopIteration):
        return 0


def tree_pss(pid: int) -> tuple[int, int]:
    """(the summed PSS of ``pid`` and its descendants, how many processes that is)."""
    pids = process_tree(pid)
    return sum(pss(p) for p in pids), len(pids)
