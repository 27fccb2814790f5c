"""The real-pixel scenes, in the view of vtest.avi: a road from the left edge sweeping down to the bottom-right
corner, a side road going up to the top right (a white van and a car are parked at its top), grass in front.

Each scene is a function of the seed: seed 0 is the canonical clip; other seeds change the tempo (all speeds and
times by up to +-8 %), which cut-out plays which vehicle of a kind, colours (hue of buses) and brightness.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from workbench.features.synth.actors import Actor
from workbench.features.synth.real.scene import (
    FPS,
    HEIGHT,
    WIDTH,
    Cast,
    RealScene,
    after,
    jitter,
    route,
    standing,
    until,
)
from workbench.features.synth.scenario import Region, Scenario

# Foot paths (x, y). The near lane drives right (east), the far lane left (west); both start and end off picture.
EAST_LANE = ((-190.0, 230.0), (0.0, 236.0), (100.0, 246.0), (200.0, 258.0), (300.0, 274.0), (400.0, 300.0),
             (500.0, 338.0), (600.0, 382.0), (700.0, 426.0), (800.0, 455.0), (1120.0, 500.0))
WEST_LANE = ((1120.0, 420.0), (800.0, 378.0), (700.0, 350.0), (600.0, 314.0), (500.0, 282.0), (400.0, 258.0),
             (300.0, 240.0), (200.0, 228.0), (100.0, 219.0), (0.0, 212.0), (-190.0, 204.0))
# Up the side road (away from the camera) from the bottom right, and down it towards the camera.
SIDE_UP = ((1040.0, 470.0), (800.0, 418.0), (690.0, 362.0), (612.0, 300.0), (592.0, 250.0), (612.0, 208.0),
           (660.0, 172.0), (720.0, 144.0), (780.0, 126.0), (940.0, 104.0))
SIDE_DOWN = ((940.0, 112.0), (790.0, 134.0), (728.0, 152.0), (670.0, 184.0), (628.0, 222.0), (612.0, 268.0),
             (650.0, 330.0), (730.0, 388.0), (820.0, 436.0), (1120.0, 500.0))

COUNT_LINE = Region("count_line", "line", ((250.0, 196.0), (250.0, 292.0)))  # in = moving right (east)
SIDE_LINE = Region("side_line", "line", ((560.0, 172.0), (732.0, 158.0)))  # in = moving up (away)
STOP_X = 247.0  # the car that stops on the count line waits with its anchor here (3 px before the line)
BACK_X = 238.0  # the car that backs away gets its anchor this close (12 px) to the line, then reverses

# Ids of the parked vehicles of the background in the truth.
PARKED_IDS = {"parked_van": 91, "parked_car": 92}


def _pick(seed: int, key: int, names: tuple[str, ...]) -> str:
    return names[0] if seed == 0 else names[int(np.random.default_rng([seed, key, 1]).integers(len(names)))]


def _cast(seed: int, aid: int, cutout: str, **kw: object) -> Cast:
    """A cast with the seed's brightness (+-10 %); vehicles get a contact shadow."""
    return Cast(cutout, gain=jitter(seed, aid * 7 + 1, 0.9, 1.1), **kw)  # type: ignore[arg-type]


def _bus_hue(seed: int, aid: int) -> float:
    return 0.0 if seed == 0 else float(np.random.default_rng([seed, aid, 2]).choice([0.0, 0.0, 120.0, 220.0]))


def _traffic_actors(tempo: float) -> list[tuple[Actor, str]]:
    """(actor, role) of the traffic scene; roles pick the cut-out pool."""
    stop_on_line = until(EAST_LANE, STOP_X) + after(EAST_LANE, STOP_X)[1:]
    stop_index = len(until(EAST_LANE, STOP_X)) - 1
    back = until(EAST_LANE, BACK_X)
    back_away = back + back[::-1][1:]
    return [
        (route(1, "bus", EAST_LANE, 5.5, start=0.3, tempo=tempo), "bus_a"),
        (route(2, "car", WEST_LANE, 6.5, start=1.6, tempo=tempo), "side_car_b"),
        (route(3, "van", SIDE_UP, 4.5, start=2.0, tempo=tempo), "van"),
        (route(4, "car", stop_on_line, 5.0, start=6.5, stops={stop_index: 3.0}, tempo=tempo), "side_car_a"),
        (route(5, "bus", WEST_LANE, 5.0, start=9.0, tempo=tempo), "bus_b"),
        (route(6, "car", back_away, 3.5, start=15.0, stops={len(back) - 1: 1.2}, tempo=tempo), "side_car_a"),
        (route(7, "car", SIDE_DOWN, 5.0, start=12.5, tempo=tempo), "front_car"),
        (route(8, "car", SIDE_UP, 5.5, start=19.0, tempo=tempo), "rear_car"),
        (route(9, "car", WEST_LANE, 6.0, start=21.0, tempo=tempo), "side_car_b"),
        (route(10, "bus", EAST_LANE, 5.0, start=22.5, tempo=tempo), "bus_b"),
        (route(11, "car", EAST_LANE, 6.5, start=26.5, tempo=tempo), "side_car_a"),
    ]


_POOLS = {
    "bus_a": ("double_decker", "red_bus"), "bus_b": ("red_bus", "double_decker"),
    "side_car_a": ("silver_mpv", "dark_car"), "side_car_b": ("dark_car", "silver_mpv"),
    "van": ("van_rear",), "front_car": ("white_car",), "rear_car": ("silver_hatch",),
}


def _traffic_people(tempo: float) -> list[tuple[Actor, str]]:
    """A man standing on the verge (vehicles pass behind him), walkers behind and in front of the road."""
    return [
        (standing(31, "person", (352.0, 318.0), 40.0), "person_coat"),
        (route(32, "person", ((-30.0, 184.0), (300.0, 190.0), (390.0, 188.0)), 1.3, start=3.0, tempo=tempo),
         "walker_paper_right"),
        (route(33, "person", ((800.0, 470.0), (560.0, 430.0), (300.0, 335.0), (-30.0, 282.0)), 1.3, start=8.0,
               tempo=tempo), "walker_red_left"),
        (route(34, "person", ((560.0, 330.0), (600.0, 250.0), (680.0, 175.0), (790.0, 128.0)), 1.2, start=14.0,
               tempo=tempo), "walker_away"),
    ]


def real_traffic(seed: int = 0) -> RealScene:
    """Vehicles (cars, buses, a van) cross a counting line on the road and a second line on the side road, in both
    directions; a bus passes in front of a car, a man on the verge stands in front of the passing traffic, one car
    stops on the line for 3 s, one drives up to it and backs away; the parked van and car stay in view."""
    tempo = jitter(seed, 1, 0.92, 1.08)
    cast_of = {}
    actors = []
    for actor, role in _traffic_actors(tempo) + _traffic_people(tempo):
        actors.append(actor)
        if actor.cls == "person":
            cast_of[actor.id] = _cast(seed, actor.id, role)
            continue
        name = _pick(seed, actor.id, _POOLS[role])
        hue = _bus_hue(seed, actor.id) if actor.cls == "bus" else 0.0
        cast_of[actor.id] = _cast(seed, actor.id, name, hue=hue, shadow=True)
    scenario = Scenario("real_traffic", real_traffic.__doc__ or "", round(34.0 / tempo, 2), tuple(actors),
                        (COUNT_LINE, SIDE_LINE), fps=FPS, size=(WIDTH, HEIGHT))
    return RealScene(scenario, cast_of)


WALK_LINE = Region("walk_line", "line", ((320.0, 176.0), (320.0, 300.0)))  # in = walking right
# The lawn in front (bottom left), a few pixels inside its edge with the road.
LAWN = Region("lawn", "polygon", ((0.0, 246.0), (100.0, 262.0), (200.0, 278.0), (300.0, 298.0), (400.0, 350.0),
                                  (500.0, 396.0), (600.0, 436.0), (700.0, 482.0), (767.0, 500.0), (767.0, 575.0),
                                  (0.0, 575.0)))
WALK_STOP_X = 323.0  # the walker who waits on the line stands with her anchor here (3 px past it)
WALK_BACK_X = 334.0  # the walker who turns back comes this close (14 px) to the line


def _people_actors(tempo: float) -> list[tuple[Actor, str]]:
    """(actor, cut-out) of the people scene."""
    wait = [(800.0, 300.0), (WALK_STOP_X, 262.0), (-30.0, 236.0)]
    turn = [(800.0, 284.0), (WALK_BACK_X, 252.0), (800.0, 268.0)]
    onto_lawn = [(300.0, 610.0), (262.0, 430.0), (200.0, 330.0), (120.0, 236.0), (40.0, 190.0), (-30.0, 180.0)]
    return [
        (route(41, "person", ((-30.0, 232.0), (800.0, 306.0)), 1.3, start=0.5, tempo=tempo), "walker_paper_right"),
        (route(42, "person", ((800.0, 252.0), (-30.0, 214.0)), 1.25, start=1.5, tempo=tempo), "walker_jeans_left"),
        (route(43, "person", wait, 1.2, start=3.0, stops={1: 4.0}, tempo=tempo), "walker_red_left"),
        (route(44, "person", turn, 1.2, start=11.0, stops={1: 0.8}, tempo=tempo), "walker_jacket_left"),
        (route(45, "person", ((-40.0, 206.0), (800.0, 262.0)), 1.3, start=9.0, tempo=tempo), "walker_dark_right"),
        (route(46, "person", ((-72.0, 218.0), (768.0, 276.0)), 1.3, start=9.0, tempo=tempo), "walker_jeans_left"),
        (route(47, "person", ((640.0, 620.0), (610.0, 420.0), (600.0, 300.0), (660.0, 190.0), (790.0, 124.0)),
               1.3, start=4.0, tempo=tempo), "walker_away"),
        (route(48, "person", onto_lawn, 1.1, start=12.0, stops={1: 5.0}, tempo=tempo), "walker_coat_away"),
        (standing(49, "person", (150.0, 340.0), 40.0), "person_black"),
        (route(50, "person", ((800.0, 420.0), (420.0, 372.0), (-30.0, 330.0)), 1.3, start=2.0, tempo=tempo),
         "walker_paper_left"),
    ]


def real_people(seed: int = 0) -> RealScene:
    """Real walkers over a real street: people cross a counting line both ways, two walk side by side (one hides
    the other), one waits on the line for 4 s, one walks up to it and turns back, one walks onto the lawn and
    stands there for 5 s, one stands on the lawn all along, one walks away up the side road."""
    tempo = jitter(seed, 2, 0.92, 1.08)
    actors, cast_of = [], {}
    for actor, cutout in _people_actors(tempo):
        actors.append(actor)
        cast_of[actor.id] = _cast(seed, actor.id, cutout)
    scenario = Scenario("real_people", real_people.__doc__ or "", round(30.0 / tempo, 2), tuple(actors),
                        (WALK_LINE, LAWN), fps=FPS, size=(WIDTH, HEIGHT))
    return RealScene(scenario, cast_of)


def real_gate(seed: int = 0) -> RealScene:
    """The construction-site gate scene (`workbench.features.synth.real.gate`, which builds on the lanes above)."""
    from workbench.features.synth.real.gate import real_gate as gate_scene

    return gate_scene(seed)


def real_demo(seed: int = 0) -> RealScene:
    """The demo clip's scene: the first 19 s of real_traffic (`workbench.features.synth.demo`)."""
    from workbench.features.synth.demo import demo_scene

    return demo_scene(seed)


REAL_SCENES: dict[str, Callable[[int], RealScene]] = {
    "real_traffic": real_traffic,
    "real_people": real_people,
    "real_gate": real_gate,
    "real_demo": real_demo,
}
