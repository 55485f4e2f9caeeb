"""Exercise 02-step-limit-error: collatz_errors.StepLimitError."""
import importlib.util

import pytest

import collatz_errors


def test_the_class():
    error = collatz_errors.StepLimitError
    assert issubclass(error, ValueError)
    assert error.__name__ == "StepLimitError" and error.__module__ == "collatz_errors"
    assert error.__doc__


def test_raised_with_its_message():
    with pytest.raises(collatz_errors.StepLimitError) as info:
        collatz_errors.collatz_steps(27, 10)
    assert type(info.value) is collatz_errors.StepLimitError
    assert str(info.value) == "27 needs more than max_steps=10 steps"


def test_still_a_value_error_to_old_callers():
    with pytest.raises(ValueError, match="27 needs more than max_steps=10 steps"):
        collatz_errors.collatz_steps(27, 10)


def test_other_errors_are_unchanged():
    assert collatz_errors.collatz_steps(27, 111) == 111
    with pytest.raises(ValueError) as info:
        collatz_errors.collatz_steps(0, 10)
    assert type(info.value) is ValueError and str(info.value) == "n must be at least 1, not 0"
    with pytest.raises(TypeError):
        collatz_errors.collatz_steps("27", 10)


def test_each_module_object_raises_its_own_class():
    """A second module object from the same file (what a subinterpreter, or
    importlib below, makes) runs the exec function again: with the class in a
    C global, the second exec replaces the first module's class."""
    spec = importlib.util.find_spec("collatz_errors")
    second = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(second)
    assert second is not collatz_errors
    assert second.StepLimitError is not collatz_errors.StepLimitError
    for module in (collatz_errors, second):
        with pytest.raises(ValueError) as info:
            module.collatz_steps(27, 10)
        assert type(info.value) is module.StepLimitError, \
            "a module object raised another one's class: is the class kept in a C global?"
