"""Point in polygon and polygon checks, with every expectation worked out by hand on graph paper."""

import math

import numpy as np
import pytest

from dispatch import DispatchError, Reason
from dispatch.geofence import Fences, contains, parse_polygon

SQUARE = ((0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0))
# A U open to the north: the notch x in (1, 3), y in (1, 4] is outside.
U_SHAPE = ((0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (3.0, 4.0), (3.0, 1.0), (1.0, 1.0), (1.0, 4.0), (0.0, 4.0))

# (lon, lat) -> inside the square?
SQUARE_CASES = [
    ((2.0, 2.0), True),
    ((0.5, 3.5), True),
    ((5.0, 2.0), False),
    ((-1.0, 2.0), False),
    ((2.0, 4.5), False),
    ((2.0, -0.0001), False),
    ((4.0, 2.0), True),  # on the east edge
    ((2.0, 0.0), True),  # on the south edge
    ((0.0, 0.0), True),  # on a vertex
    ((4.0, 4.0), True),  # on the opposite vertex
    ((-1.0, 4.0), False),  # level with the top edge, west of it: the ray runs along the edge
    ((-1.0, 0.0), False),  # level with the bottom edge
]
U_CASES = [
    ((0.5, 3.0), True),  # west arm
    ((3.5, 3.0), True),  # east arm
    ((2.0, 0.5), True),  # base
    ((2.0, 2.0), False),  # in the notch: the ray crosses the east arm twice
    ((2.0, 1.0), True),  # on the notch's floor
    ((1.0, 2.5), True),  # on the notch's west wall
    ((2.0, 4.0), False),  # level with the arms' tops, above the notch
    ((-0.5, 1.0), False),  # level with the notch's floor vertices, outside
    ((4.5, 0.5), False),
]


@pytest.mark.parametrize(("point", "inside"), SQUARE_CASES)
def test_square(point: tuple[float, float], inside: bool) -> None:
    assert contains(SQUARE, *point) is inside


@pytest.mark.parametrize(("point", "inside"), U_CASES)
def test_concave_u(point: tuple[float, float], inside: bool) -> None:
    assert contains(U_SHAPE, *point) is inside


def test_many_polygons_at_once_answer_each_in_order() -> None:
    far = ((10.0, 10.0), (11.0, 10.0), (10.5, 11.0))
    fences = Fences([SQUARE, U_SHAPE, far])
    assert fences.containing(2.0, 2.0).tolist() == [True, False, False]
    assert fences.containing(0.5, 0.5).tolist() == [True, True, False]
    assert fences.containing(10.5, 10.2).tolist() == [False, False, True]
    assert Fences([]).containing(1.0, 1.0).tolist() == []


def test_a_closed_ring_loses_its_repeat_and_a_valid_polygon_is_kept() -> None:
    assert parse_polygon([[0, 0], [4, 0], [4, 4], [0, 0]]) == ((0.0, 0.0), (4.0, 0.0), (4.0, 4.0))
    assert parse_polygon([[-88.2, 17.5], [-88.1, 17.5], [-88.1, 17.6]]) == ((-88.2, 17.5), (-88.1, 17.5),
                                                                              (-88.1, 17.6))
    assert len(parse_polygon([[math.cos(a), math.sin(a)] for a in np.linspace(0, 6.28, 1000)])) == 1000


@pytest.mark.parametrize(("points", "words"), [
    ("square", "list of [lon, lat] pairs"),
    ([[0, 0], [1, 1]], "3 to 1000 vertices"),
    ([[0, 0], [1, 0], [0, 0]], "counted), not 2"),  # closed triangle of two points
    ([[i / 1000, (i % 2) / 1000] for i in range(1001)], "not 1001"),
    ([[0, 0], [1, 0], [1]], "polygon[2] must be a [lon, lat] pair"),
    ([[0, 0], [1, 0], [1, 1, 1]], "polygon[2] must be a [lon, lat] pair"),
    ([[0, 0], [math.nan, 0], [1, 1]], "polygon[1] must be two finite numbers"),
    ([[0, 0], [1, math.inf], [1, 1]], "polygon[1] must be two finite numbers"),
    ([[0, 0], ["1", 0], [1, 1]], "polygon[1] must be two finite numbers"),
    ([[0, 0], [True, 0], [1, 1]], "polygon[1] must be two finite numbers"),
    ([[0, 0], [181, 0], [1, 1]], "polygon[1] = [181, 0]"),
    ([[0, 0], [1, -91], [1, 1]], "lat in [-90, 90]"),
    ([[0, 0], [1, 1], [2, 2]], "no area"),
    ([[0, 0], [1, 0], [1, 0], [1, 1]], "polygon[2] repeats"),
])
def test_bad_polygons_are_refused_naming_the_rule(points: object, words: str) -> None:
    with pytest.raises(DispatchError) as refused:
        parse_polygon(points)
    assert refused.value.reason is Reason.BAD_LOCATION
    assert words in refused.value.detail
