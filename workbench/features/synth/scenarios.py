"""The bundled scenarios. Each function returns a `Scenario` whose regions the matching pipelines in pipelines/ use.

Schedules are planned so that no two actors ever come close in the picture (see `truth.min_gap`): a background
subtraction detector and a tracker can follow every actor without merges, so exact counts are testable.
"""

from __future__ import annotations

from collections.abc import Callable

from workbench.core.errors import Problem, WorkbenchError
from workbench.features.synth.actors import SIZES, Actor, Waypoint
from workbench.features.synth.scenario import Region, Scenario
from workbench.features.synth.scene import EAST_LANE_Y, LOWER_WALK_Y, UPPER_WALK_Y, WEST_LANE_Y, WIDTH

# Regions shared by scenarios and pipelines (the bundled pipelines repeat these numbers; a test checks they agree).
COUNT_LINE = Region("count_line", "line", ((320.0, 140.0), (320.0, 265.0)))  # in = moving right (eastbound)
RESTRICTED = Region("restricted", "polygon", ((8.0, 8.0), (292.0, 8.0), (292.0, 96.0), (8.0, 96.0)))
FIRE_LANE = Region("fire_lane", "polygon", ((300.0, 254.0), (580.0, 254.0), (580.0, 297.0), (300.0, 297.0)))
SITE_GATE = Region("site_gate", "polygon", ((170.0, 40.0), (262.0, 40.0), (262.0, 97.0), (170.0, 97.0)))


def _off(cls: str) -> float:
    """Half a body length plus two pixels: a centre this far outside the picture hides the actor."""
    return SIZES[cls][0] / 2 + 2


def west(aid: int, cls: str, start: float, speed: float = 130.0, y: float = WEST_LANE_Y) -> Actor:
    """Drive right-to-left through the whole picture."""
    return Actor(aid, cls, (Waypoint(WIDTH + _off(cls), y, speed), Waypoint(-_off(cls), y)), start=start)


def east(aid: int, cls: str, start: float, speed: float = 120.0, y: float = EAST_LANE_Y) -> Actor:
    """Drive left-to-right through the whole picture."""
    return Actor(aid, cls, (Waypoint(-_off(cls), y, speed), Waypoint(WIDTH + _off(cls), y)), start=start)


def _traffic_actors() -> list[Actor]:
    westbound = [("car", 0.5), ("truck", 2.6), ("car", 4.8), ("bus", 7.0), ("car", 9.6), ("van", 11.6),
                 ("car", 13.6)]
    eastbound = [("car", 1.0), ("car", 3.2), ("truck", 5.4), ("car", 7.9), ("bus", 10.2), ("car", 12.9),
                 ("van", 15.0)]
    actors = [west(1 + i, cls, t) for i, (cls, t) in enumerate(westbound)]
    actors += [east(11 + i, cls, t) for i, (cls, t) in enumerate(eastbound)]
    return actors


def traffic() -> Scenario:
    """Vehicles of several classes in both lanes, all crossing the counting line (7 in = eastbound, 7 out)."""
    return Scenario("traffic", "Two-way street: cars, vans, trucks and buses cross a counting line.", 20.0,
                    tuple(_traffic_actors()), (COUNT_LINE,))


def demo() -> Scenario:
    """Traffic plus pedestrians on both sidewalks (they do not cross the counting line, which spans the road only)."""
    people = [
        Actor(31, "person", (Waypoint(-9, LOWER_WALK_Y, 42.0), Waypoint(WIDTH + 9, LOWER_WALK_Y)), start=0.8),
        Actor(32, "person", (Waypoint(-9, LOWER_WALK_Y, 42.0), Waypoint(WIDTH + 9, LOWER_WALK_Y)), start=6.5),
        Actor(33, "person", (Waypoint(WIDTH + 9, UPPER_WALK_Y, 45.0), Waypoint(-9, UPPER_WALK_Y)), start=1.5),
        Actor(34, "person", (Waypoint(WIDTH + 9, UPPER_WALK_Y, 45.0), Waypoint(-9, UPPER_WALK_Y)), start=8.0),
    ]
    return Scenario("demo", "A street with two-way traffic, a counting line and pedestrians on both sidewalks.",
                    20.0, tuple(_traffic_actors() + people), (COUNT_LINE,))


def restricted_zone() -> Scenario:
    """People walk past a construction site; two walk through the gate into the restricted area and back out,
    one steps into the gate opening and turns back without entering, two others use the far sidewalk."""
    y, sp = UPPER_WALK_Y, 55.0
    visit1 = (Waypoint(-9, y, sp), Waypoint(200, y, 50.0), Waypoint(200, 60, 50.0), Waypoint(110, 60, 50.0),
              Waypoint(110, 45, 50.0), Waypoint(230, 45, 50.0), Waypoint(230, y, sp), Waypoint(WIDTH + 9, y))
    visit2 = (Waypoint(-9, y, sp), Waypoint(180, y, 50.0), Waypoint(180, 55, 50.0), Waypoint(240, 55, 50.0),
              Waypoint(240, y, sp), Waypoint(WIDTH + 9, y))
    near_miss = (Waypoint(-9, y, sp), Waypoint(250, y, 40.0), Waypoint(250, 108, 40.0, stop=0.0),
                 Waypoint(250, y, sp), Waypoint(WIDTH + 9, y))
    actors = [
        Actor(1, "person", near_miss, start=0.3),
        Actor(2, "person", visit1, start=2.0),
        Actor(3, "person", visit2, start=9.5),
        Actor(4, "person", (Waypoint(WIDTH + 9, LOWER_WALK_Y, 45.0), Waypoint(-9, LOWER_WALK_Y)), start=1.0),
        Actor(5, "person", (Waypoint(WIDTH + 9, LOWER_WALK_Y, 45.0), Waypoint(-9, LOWER_WALK_Y)), start=6.0),
    ]
    return Scenario("restricted_zone", "Pedestrians near a construction site; two enter the restricted area.",
                    22.0, tuple(actors), (RESTRICTED,))


def _pull_over(aid: int, start: float, stop_x: float, stop_s: float) -> Actor:
    """A car that leaves the eastbound lane, stops in the curb lane at `stop_x` for `stop_s` seconds, drives on."""
    return Actor(aid, "car", (
        Waypoint(-_off("car"), EAST_LANE_Y, 120.0), Waypoint(stop_x - 70, EAST_LANE_Y, 70.0),
        Waypoint(stop_x, 290, 70.0, stop=stop_s), Waypoint(stop_x + 70, EAST_LANE_Y, 120.0),
        Waypoint(WIDTH + _off("car"), EAST_LANE_Y)), start=start)


def fire_lane() -> Scenario:
    """Cars stop in the marked fire lane: two for long (9 s, 8 s), one briefly (3 s); other traffic passes."""
    actors = [
        _pull_over(1, 0.5, 450, 9.0),
        _pull_over(2, 2.5, 350, 8.0),
        _pull_over(3, 13.0, 450, 3.0),
        east(11, "car", 7.5, speed=130.0), east(12, "van", 9.5, speed=130.0),
        west(21, "car", 1.0), west(22, "bus", 5.0), west(23, "truck", 9.5), west(24, "car", 14.0),
        west(25, "car", 18.5),
    ]
    return Scenario("fire_lane", "Cars parking in a marked fire lane, for longer and shorter than allowed.", 25.0,
                    tuple(actors), (FIRE_LANE,))


def _leave_site(aid: int, start: float, turn: str) -> Actor:
    """A muck truck that drives out of the site gate and turns into the west- or eastbound lane."""
    x = (SITE_GATE.points[0][0] + SITE_GATE.points[1][0]) / 2
    top = -2.0
    if turn == "west":
        path = (Waypoint(x, top, 45.0), Waypoint(x, 165, 60.0), Waypoint(x - 46, WEST_LANE_Y, 90.0),
                Waypoint(-_off("muck_truck"), WEST_LANE_Y))
    else:
        path = (Waypoint(x, top, 45.0), Waypoint(x, 200, 60.0), Waypoint(x + 44, EAST_LANE_Y, 100.0),
                Waypoint(WIDTH + _off("muck_truck"), EAST_LANE_Y))
    return Actor(aid, "muck_truck", path, start=start)


def muck_truck() -> Scenario:
    """Three muck trucks leave the construction site through the gate; a worker walks out too; ordinary traffic."""
    worker = Actor(4, "person", (Waypoint(-9, 60, 50.0), Waypoint(215, 60, 50.0), Waypoint(215, UPPER_WALK_Y, 50.0),
                                 Waypoint(WIDTH + 9, UPPER_WALK_Y)), start=5.0)
    actors = [
        _leave_site(1, 0.8, "west"), _leave_site(2, 12.0, "east"), _leave_site(3, 18.5, "west"), worker,
        east(11, "car", 1.0), east(12, "truck", 6.0), east(13, "car", 9.5), east(14, "car", 19.0, speed=100.0),
        west(21, "truck", 8.5), west(22, "car", 17.5),
    ]
    return Scenario("muck_truck", "Muck trucks leave a construction site gate onto the street; other traffic.", 25.0,
                    tuple(actors), (SITE_GATE,))


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "demo": demo,
    "traffic": traffic,
    "restricted_zone": restricted_zone,
    "fire_lane": fire_lane,
    "muck_truck": muck_truck,
}


def get(name: str) -> Scenario:
    """The scenario called `name` (one of SCENARIOS); an unknown name is a user error naming the choices."""
    if name not in SCENARIOS:
        raise WorkbenchError([Problem("synth_unknown_scenario", field="scenario",
                                      params={"name": name, "choices": ", ".join(SCENARIOS)})])
    return SCENARIOS[name]()
