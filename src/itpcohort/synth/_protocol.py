"""Which protocols the synthetic generator can serve (``protocols.md``; issue 19 part 5 pending).

The generator simulates infusion courses of one agent (``SIMULATED_AGENT``, the agent of the seed
study's timelines); a protocol whose courses are exposures, or whose agents leave that agent out,
would get a cohort without a single course, so it is refused with one clear line.
"""

from __future__ import annotations

from itpcohort.errors import InputError
from itpcohort.protocols import Protocol

#: the agent whose infusion courses the generator simulates (synth/_treatments.py)
SIMULATED_AGENT = "rituximab"


def check_protocol(protocol: Protocol) -> None:
    """Raise ``InputError`` when the generator cannot write courses of ``protocol``."""
    if protocol.courses.kind != "infusions":
        raise InputError(
            f"{protocol.source}: courses.kind: synthetic cohorts of {protocol.courses.kind!r} "
            "courses are not built yet; synth and demo simulate infusion courses"
        )
    if SIMULATED_AGENT not in protocol.courses.agents:
        raise InputError(
            f"{protocol.source}: courses.agents: synth and demo simulate courses of "
            f"{SIMULATED_AGENT} only; the protocol's agents are {', '.join(protocol.courses.agents)}"
        )
