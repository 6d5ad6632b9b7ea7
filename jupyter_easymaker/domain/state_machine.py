"""One state machine per resource kind; every status change goes through one."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from jupyter_easymaker.domain.errors import InvalidTransition


@dataclass(frozen=True)
class StateMachine:
    kind: str
    initial: str
    transitions: Mapping[str, frozenset[str]]
    # statuses from which the resource may be deleted without stopping it first
    deletable: frozenset[str]

    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(self.transitions)

    @property
    def terminal(self) -> frozenset[str]:
        return frozenset(s for s, nexts in self.transitions.items() if not nexts)

    def can(self, current: str, target: str) -> bool:
        return target in self.transitions.get(current, frozenset())

    def check(self, current: str, target: str) -> None:
        if not self.can(current, target):
            raise InvalidTransition(f"a {self.kind} in status {current} cannot become {target}", field="status")


def _machine(kind: str, initial: str, edges: Mapping[str, set[str]], deletable: set[str]) -> StateMachine:
    return StateMachine(kind, initial, {k: frozenset(v) for k, v in edges.items()}, frozenset(deletable))
