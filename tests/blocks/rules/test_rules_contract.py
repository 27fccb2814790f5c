"""What rule blocks promise beyond every block's contract (tests/blocks/test_block_contract.py): an events output,
site fields, and their shared problem text in both languages."""

import pytest

from blocks.rules.crowding import Crowding
from blocks.rules.dwell import DwellTime
from blocks.rules.line_crossing import LineCrossing
from blocks.rules.speed import SpeedEstimate
from blocks.rules.stopped import StoppedObject
from blocks.rules.time_window import TimeWindow
from blocks.rules.wrong_way import WrongWay
from blocks.rules.zone_enter_exit import ZoneEnterExit
from workbench.core.i18n import has, t
from workbench.core.kinds import Kind

RULES = [LineCrossing, ZoneEnterExit, DwellTime, StoppedObject, SpeedEstimate, WrongWay, Crowding, TimeWindow]


@pytest.mark.parametrize("block", RULES, ids=lambda b: b.type_id)
def test_registered_under_its_type_id_and_emits_events(block):
    assert [(p.name, p.kind) for p in block.outputs] == [("events", Kind.EVENTS)]
    assert set(block.site_fields) <= set(block.Config.model_fields)


def test_translations_exist_in_both_languages():
    keys = [f"block.{b.name()}.{part}" for b in RULES for part in ("title", "description")]
    keys.append("problem.rule_needs_tracks")
    for key in keys:
        assert has(key), key
        assert t(key, "en") != t(key, "zh") and t(key, "zh").strip(), key
