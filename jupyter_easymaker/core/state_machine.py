"""One state machine per resource kind; every status change goes through one."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from jupyter_easymaker.core.errors import InvalidTransition

STOP_IN_PROGRESS = "STOP IN PROGRESS"


@dataclass(frozen=True)
class StateMachine:
    kind: str
    initial: str
    transitions: Mapping[str, frozenset[str]]
    # statuses from which the resource may be deleted without stopping it first
    deletable: frozenset[str]
    # every status word in the guide's table order (the transitions may list them in another)
    words: tuple[str, ...] = ()
    # where a resource stays until someone acts: what the UI and the client wait for
    settled: frozenset[str] = frozenset()

    @property
    def statuses(self) -> tuple[str, ...]:
        return self.words or tuple(self.transitions)

    @property
    def terminal(self) -> frozenset[str]:
        return frozenset(s for s, nexts in self.transitions.items() if not nexts)

    @property
    def stoppable(self) -> frozenset[str]:
        """Statuses from which a stop request is accepted."""
        return frozenset(s for s, nexts in self.transitions.items() if STOP_IN_PROGRESS in nexts)

    def can(self, current: str, target: str) -> bool:
        return target in self.transitions.get(current, frozenset())

    def check(self, current: str, target: str) -> None:
        if not self.can(current, target):
            raise InvalidTransition(f"a {self.kind} in status {current} cannot become {target}", field="status")


def _machine(kind: str, initial: str, edges: Mapping[str, set[str]], deletable: set[str], *,
             words: type | None = None, settled: set[str] | None = None) -> StateMachine:
    """``words``: the class whose attributes are the status words in the guide's
    order; ``settled``: defaults to the statuses without a way out."""
    transitions = {k: frozenset(v) for k, v in edges.items()}
    ordered = tuple(v for k, v in vars(words).items() if not k.startswith("_") and isinstance(v, str)) if words else ()
    if ordered and set(ordered) != set(transitions):
        raise ValueError(f"{kind}: the status words and the transitions name different statuses")
    final = frozenset(settled) if settled is not None else frozenset(s for s, n in transitions.items() if not n)
    return StateMachine(kind, initial, transitions, frozenset(deletable), ordered, final)
