"""Which protocols the synthetic generators can serve (``protocols.md``).

The flagship generator simulates infusion courses of one agent (``SIMULATED_AGENT``, the agent of
the seed study's timelines); the switch generator (``_switch``) simulates exposure courses of its
agents (``SWITCH_AGENTS``). A protocol whose agents the generator of its course kind does not
simulate would get a cohort without a single course, so it is refused with one clear line.
"""

from __future__ import annotations

from itpcohort.errors import InputError
from itpcohort.protocols import Protocol

#: the agent whose infusion courses the generator simulates (synth/_treatments.py)
SIMULATED_AGENT = "rituximab"


def simulates_exposures(protocol: Protocol) -> bool:
    """Whether ``protocol``'s cohort is written by the exposure (switch) generator."""
    return protocol.courses.kind == "exposure"


def check_protocol(protocol: Protocol) -> None:
    """Raise ``InputError`` when no generator can write courses of ``protocol``."""
    from itpcohort.synth._switch import FIRST_AGENTS

    if simulates_exposures(protocol):
        simulated = [name for name, _ in FIRST_AGENTS]
        missing = [a for a in protocol.courses.agents if a not in simulated]
        if missing:
            raise InputError(
                f"{protocol.source}: courses.agents: synth and demo simulate exposure courses of "
                f"{', '.join(simulated)} only; not of {', '.join(missing)}"
            )
        return
    if protocol.courses.kind != "infusions":
        raise InputError(
            f"{protocol.source}: courses.kind: synthetic cohorts of {protocol.courses.kind!r} "
            "courses are not built; synth and demo simulate infusion and exposure courses"
        )
    if SIMULATED_AGENT not in protocol.courses.agents:
        raise InputError(
            f"{protocol.source}: courses.agents: synth and demo simulate courses of "
            f"{SIMULATED_AGENT} only; the protocol's agents are {', '.join(protocol.courses.agents)}"
        )
