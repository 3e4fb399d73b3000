import pytest

from simulator.radio.pathloss import MODELS
from simulator.radio.validity import OutOfValidityError


def test_every_cli_model_is_registered() -> None:
    assert set(MODELS) == {"rma-los", "rma-nlos", "uma-los", "uma-nlos", "hata-urban", "hata-suburban",
                           "hata-open", "cost231"}


@pytest.mark.parametrize(
    ("model", "f", "hbs", "hut", "d", "reason"),
    [
        ("rma-nlos", 763, 35, 1.5, [10.0], "2D distance 10 km"),
        ("hata-urban", 2600, 35, 1.5, [1.0], "frequency 2600 MHz"),
        ("hata-open", 763, 20, 1.5, [1.0], "BS height 20 m"),
        ("cost231", 763, 35, 1.5, [1.0], "frequency 763 MHz"),
        ("uma-los", 2000, 35, 1.5, [1.0], "BS height 35 m"),
        ("rma-los", 763, 35, 1.5, [0.001], "2D distance 0.001 km"),
    ],
)
def test_out_of_range_inputs_are_refused_with_the_reason(model, f, hbs, hut, d, reason) -> None:
    with pytest.raises(OutOfValidityError, match=reason):
        MODELS[model].check(d, f, hbs, hut)


def test_in_range_inputs_pass() -> None:
    MODELS["rma-los"].check([1, 5, 10], 763, 35, 1.5)
    assert MODELS["rma-los"]([1.0], 763, 35, 1.5)[0] == pytest.approx(93.5, abs=0.05)
