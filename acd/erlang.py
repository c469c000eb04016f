"""Erlang C: the classic staffing formula for a single queue of identical agents.

Assumes Poisson arrivals, exponential handle times and callers who never abandon. Computed
through the Erlang B recursion, which stays stable for thousands of agents (no factorials).
"""
from __future__ import annotations

import math


def traffic_erlangs(calls_per_hour: float, aht_s: float) -> float:
    return calls_per_hour * aht_s / 3600.0


def erlang_b(agents: int, erlangs: float) -> float:
    """Probability that all agents are busy in a loss system (blocked calls leave)."""
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = erlangs * blocking / (k + erlangs * blocking)
    return blocking


def erlang_c(agents: int, erlangs: float) -> float:
    """Probability that a call has to wait (1 when the agents cannot keep up)."""
    if agents <= erlangs:
        return 1.0
    blocking = erlang_b(agents, erlangs)
    return agents * blocking / (agents - erlangs * (1.0 - blocking))


def service_level(agents: int, erlangs: float, aht_s: float, within_s: float) -> float:
    """Share of calls answered within `within_s` seconds."""
    if agents <= erlangs:
        return 0.0
    return 1.0 - erlang_c(agents, erlangs) * math.exp(-(agents - erlangs) * within_s / aht_s)


def average_speed_of_answer(agents: int, erlangs: float, aht_s: float) -> float:
    if agents <= erlangs:
        return math.inf
    return erlang_c(agents, erlangs) * aht_s / (agents - erlangs)
