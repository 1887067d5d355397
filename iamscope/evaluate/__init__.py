"""Pure IAM semantics: decide requests against policy layers, and explain the decision."""

from iamscope.evaluate.decision import Decision, Evaluation, Layer, LayerResult, Outcome
from iamscope.evaluate.engine import Engine
from iamscope.evaluate.request import PolicyLayers, Request

__all__ = [
    "Decision",
    "Engine",
    "Evaluation",
    "Layer",
    "LayerResult",
    "Outcome",
    "PolicyLayers",
    "Request",
]
