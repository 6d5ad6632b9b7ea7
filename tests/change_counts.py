"""The part of a watching backend (the Kubernetes ones over their caches) that a
reconciler's ticks ask before they read anything: how many changes of each job's or
server's objects the caches have seen, and in all."""
from __future__ import annotations


class ChangeCounts:
    key = "name"  # the handle's key that names the job or server

    def __init__(self):
        self.marks, self.total = {}, 0

    def change_mark(self, handle):
        return self.marks.get(handle[self.key], 0)

    def changes_seen(self):
        return self.total

    def change(self, name):
        self.marks[name] = self.marks.get(name, 0) + 1
        self.total += 1
