"""The outcome of evaluating a request: a decision, each layer's result, and why."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Decision(Enum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


class Layer(Enum):
    """Policy layers, named as AWS access-denied messages name them."""

    SCP = "service control policy"
    RCP = "resource control policy"
    RESOURCE = "resource-based policy"
    IDENTITY = "identity-based policy"
    BOUNDARY = "permissions boundary"
    SESSION = "session policy"

    @property
    def article(self) -> str:
        return "an" if self.value[0] in "aeiou" else "a"


class Outcome(Enum):
    ALLOW = "allow"
    IMPLICIT_DENY = "implicit-deny"
    EXPLICIT_DENY = "explicit-deny"
    NOT_APPLICABLE = "not-applicable"


@dataclass(frozen=True, slots=True)
class StatementRef:
    """A statement that took part in a decision."""

    policy_id: str
    policy_kind: str
    index: int
    sid: str | None
    effect: str

    @property
    def label(self) -> str:
        where = f"Sid {self.sid!r}" if self.sid else f"statement {self.index}"
        return f"{self.policy_id} ({where})"


@dataclass(frozen=True, slots=True)
class LayerResult:
    layer: Layer
    outcome: Outcome
    statements: tuple[StatementRef, ...] = ()
    level: int | None = None  # organisation level for SCP/RCP chains, root = 0
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The decision for one request with its explanation.

    ``reason`` is phrased like AWS access-denied messages ("... because no identity-based
    policy allows the s3:GetObject action", "... with an explicit deny in a service control
    policy"); ``deciding`` lists the statements that decided.
    """

    decision: Decision
    reason: str
    layers: tuple[LayerResult, ...]
    deciding: tuple[StatementRef, ...] = ()
    notes: tuple[str, ...] = ()
    # Condition keys absent from the request that an attacker-optimal evaluation took as
    # favourable (Engine.evaluate(..., assume_absent=True)); empty for ordinary evaluation.
    assumed_keys: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW

    def to_dict(self) -> dict[str, object]:
        return {
            "decision": self.decision.value,
            "reason": self.reason,
            "deciding_statements": [_ref_dict(r) for r in self.deciding],
            "layers": [
                {
                    "layer": layer.layer.value,
                    "outcome": layer.outcome.value,
                    **({"level": layer.level} if layer.level is not None else {}),
                    **({"note": layer.note} if layer.note else {}),
                    "statements": [_ref_dict(r) for r in layer.statements],
                }
                for layer in self.layers
            ],
            "notes": list(self.notes),
            **({"assumed_keys": list(self.assumed_keys)} if self.assumed_keys else {}),
        }


def _ref_dict(ref: StatementRef) -> dict[str, object]:
    return {
        "policy": ref.policy_id,
        "policy_kind": ref.policy_kind,
        "statement_index": ref.index,
        "sid": ref.sid,
        "effect": ref.effect,
    }
