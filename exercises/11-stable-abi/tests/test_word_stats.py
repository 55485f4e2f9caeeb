"""Exercise 11-stable-abi: longest(words), the same results and errors, built once
for the stable ABI of CPython 3.10 and checked by abi3audit."""
import json
import pathlib
import subprocess
import sys

import pytest

import word_stats

ABI3AUDIT = pathlib.Path(sys.executable).parent / "abi3audit"


@pytest.mark.parametrize("words, expected", [
    (["a", "abc", "ab"], ("abc", 3, 3)),
    (["same", "size", "four"], ("same", 4, 4)),          # a tie: the first
    (["", ""], ("", 0, 0)),
    (["naïve", "日本語"], ("naïve", 5, 6)),                # characters, not bytes, decide
    (["日本語", "ab"], ("日本語", 3, 9)),
    (["🐍🐍", "x"], ("🐍🐍", 2, 8)),
])
def test_longest(words, expected):
    assert word_stats.longest(words) == expected


def test_the_word_itself_is_returned():
    word = "".join(["lon", "gest"])
    assert word_stats.longest(["a", word])[0] is word


@pytest.mark.parametrize("argument, error, message", [
    (("a", "b"), TypeError, "words must be a list, not tuple"),
    ("abc", TypeError, "words must be a list, not str"),
    (["a", 1], TypeError, r"words\[1\] must be a str, not int"),
    ([b"a"], TypeError, r"words\[0\] must be a str, not bytes"),
    ([], ValueError, "words is empty"),
    (["\ud800"], UnicodeEncodeError, "surrogates not allowed"),
])
def test_bad_arguments(argument, error, message):
    with pytest.raises(error, match=message):
        word_stats.longest(argument)


def test_built_for_the_stable_abi():
    assert pathlib.Path(word_stats.__file__).name == "word_stats.abi3.so", \
        f"{pathlib.Path(word_stats.__file__).name}: not named for the stable ABI (setup.py)"


def test_abi3audit_finds_only_the_stable_abi_of_3_10():
    path = pathlib.Path(word_stats.__file__)
    result = subprocess.run([str(ABI3AUDIT), "--report", "--assume-minimum-abi3", "3.10", str(path)],
                            capture_output=True, text=True)
    (entry,) = json.loads(result.stdout)["specs"].values()
    found = entry["object"]["result"]
    assert found["non_abi3_symbols"] == [], "symbols outside the stable ABI"
    assert found["future_abi3_objects"] == {}, "symbols newer than 3.10's stable ABI"
    assert found["is_abi3"] and found["is_abi3_baseline_compatible"], found
