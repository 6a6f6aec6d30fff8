"""Validation messages say what was expected, then what was given, in one wording everywhere."""

import pytest

from keras_resnet._utils.validation import check_choice, check_choices, check_fraction, check_int


def test_a_choice_outside_the_choices_names_them_all_and_the_value():
    with pytest.raises(ValueError, match="^pooling must be one of None, 'avg', 'max'; got 'mean'$"):
        check_choice("pooling", "mean", (None, "avg", "max"))
    assert check_choice("pooling", "avg", (None, "avg", "max")) == "avg"


def test_choices_come_from_a_comma_list_or_a_sequence_without_repeats():
    assert check_choices("quantize", "float32, int8,float32", ("float32", "int8")) == ("float32", "int8")
    with pytest.raises(ValueError, match="quantize is empty"):
        check_choices("quantize", " , ", ("float32",))
    with pytest.raises(ValueError, match="quantize must be one of 'float32'; got 'int4'"):
        check_choices("quantize", ["float32", "int4"], ("float32",))


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "3"])
def test_integers_below_the_minimum_bools_and_other_types_are_refused(value):
    with pytest.raises(ValueError, match=f"epochs must be an integer >= 1; got {value!r}"):
        check_int("epochs", value)


def test_fractions_name_their_interval():
    assert check_fraction("rate", 0.0) == 0.0
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\); got 1.0"):
        check_fraction("rate", 1.0)
