"""`real_gate`: the real_traffic street with the parking lot left of the side road (behind the yellow kerb) as a
construction site and its edge along the kerb as the gate, for the muck-truck pipeline on the pretrained detector.

Story (seed 0): a van (NanoDet calls it truck) stands in the lot and drives out onto the side road; a car stands in
the lot and drives out too; a bus passes on the main road; a second van drives up the side road past the lot; a
third van comes up the side road, turns into the lot, waits and drives out again; a car drives west. Two vans leave
the lot (two work orders in the allowed hours); the car leaving and the van driving past make none.
"""

from __future__ import annotations

from workbench.features.synth.real.scene import FPS, HEIGHT, WIDTH, Cast, RealScene, jitter, route
from workbench.features.synth.real.scenes import EAST_LANE, SIDE_UP, WEST_LANE
from workbench.features.synth.scenario import Region, Scenario

# The lot: from the grass behind it down to the yellow kerb of the side road (which runs from (450, 196) to
# (650, 128)). pipelines/muck_truck_gate_pretrained.yaml draws the same zone.
GATE = Region("site_gate", "polygon", ((440.0, 134.0), (610.0, 124.0), (642.0, 134.0), (452.0, 197.0),
                                       (440.0, 197.0)))
OUT_OF_LOT = ((585.0, 190.0), (606.0, 230.0), (612.0, 268.0), (650.0, 330.0), (730.0, 388.0), (820.0, 436.0),
              (1120.0, 500.0))  # from the lot down the side road to the bottom right
INTO_LOT = ((1040.0, 470.0), (800.0, 418.0), (690.0, 362.0), (612.0, 300.0), (600.0, 240.0), (570.0, 185.0),
            (545.0, 160.0))
CUTOUTS = {1: "van_rear", 2: "red_bus", 3: "dark_car", 4: "van_rear", 5: "van_rear", 6: "silver_mpv"}


def real_gate(seed: int = 0) -> RealScene:
    """Vans and a car drive out of a construction site's gate (a lot beside the side road), a van drives past it,
    a van drives in, waits and leaves again, traffic passes on the road. Other seeds change the tempo and the
    brightness, not the story."""
    tempo = jitter(seed, 3, 0.92, 1.08)
    actors = (
        route(1, "van", ((559.0, 150.0), (560.0, 150.0), *OUT_OF_LOT), 4.0, stops={1: 2.5}, tempo=tempo),
        route(2, "bus", EAST_LANE, 5.5, start=2.0, tempo=tempo),
        route(3, "car", ((469.0, 160.0), (470.0, 160.0), (530.0, 182.0), *OUT_OF_LOT), 4.0, stops={1: 7.0},
              tempo=tempo),
        route(4, "van", SIDE_UP, 4.5, start=10.0, tempo=tempo),
        route(5, "van", (*INTO_LOT, *OUT_OF_LOT), 4.0, start=14.5, stops={len(INTO_LOT) - 1: 2.5}, tempo=tempo),
        route(6, "car", WEST_LANE, 6.0, start=16.0, tempo=tempo),
    )
    casts = {aid: Cast(name, gain=jitter(seed, aid * 7 + 1, 0.9, 1.1), shadow=True) for aid, name in CUTOUTS.items()}
    scenario = Scenario("real_gate", real_gate.__doc__ or "", round(27.0 / tempo, 2), actors, (GATE,), fps=FPS,
                        size=(WIDTH, HEIGHT))
    return RealScene(scenario, casts)
