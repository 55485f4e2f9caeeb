"""Exercise 06-pybind-cell-tokens: against the official S2 Python bindings."""
import random

import pytest
import s2geometry as s2

import cell_tokens


def official_token(lat, lng, level):
    return s2.S2CellId(s2.S2LatLng.FromDegrees(lat, lng)).parent(level).ToToken()


def test_berlin():
    assert cell_tokens.token(52.5, 13.4, 10) == "47a84f"
    assert cell_tokens.level("47a84f") == 10


def test_a_thousand_points_at_every_level():
    rng = random.Random(4)
    for _ in range(1000):
        lat, lng, level = rng.uniform(-90, 90), rng.uniform(-180, 180), rng.randint(0, 30)
        token = cell_tokens.token(lat, lng, level)
        assert token == official_token(lat, lng, level)
        assert cell_tokens.level(token) == level
        middle = s2.S2CellId.FromToken(token).ToLatLng()
        assert cell_tokens.center(token) == (middle.lat().degrees(), middle.lng().degrees())


def test_keywords():
    assert cell_tokens.token(lat=52.5, lng=13.4, level=10) == "47a84f"
    assert cell_tokens.center(token="47a84f") == cell_tokens.center("47a84f")


@pytest.mark.parametrize("level", [-1, 31])
def test_a_bad_level(level):
    with pytest.raises(ValueError) as info:
        cell_tokens.token(0.0, 0.0, level)
    assert str(info.value) == f"level must be 0..30, not {level}"


@pytest.mark.parametrize("lat, lng", [(91.0, 0.0), (0.0, 181.0), (float("nan"), 0.0)])
def test_a_bad_point(lat, lng):
    with pytest.raises(ValueError) as info:
        cell_tokens.token(lat, lng, 5)
    assert str(info.value) == "not a point: lat must be in -90..90 and lng in -180..180"


@pytest.mark.parametrize("token", ["zz", "", "X", "0"])
def test_a_bad_token(token):
    for function in (cell_tokens.center, cell_tokens.level):
        with pytest.raises(ValueError) as info:
            function(token)
        assert str(info.value) == f"not an S2 cell token: '{token}'"


def test_wrong_types():
    with pytest.raises(TypeError):
        cell_tokens.token("52.5", 13.4, 10)
    with pytest.raises(TypeError):
        cell_tokens.level(47)
