"""Error messages show user values cut and escaped (issue 12, reproducer 7)."""

import time

import pytest

from ps_graph import ConfigError
from ps_graph.checks import check_choice, check_int, check_str, make_config, printable, show

HUGE = "a" * 50 * 2**20  # 50 MiB


def test_a_huge_value_gives_a_short_message_that_says_its_length():
    start = time.perf_counter()
    with pytest.raises(ConfigError) as err:
        check_choice("policy", HUGE, ("standard", "softmax"))
    message = str(err.value)
    assert time.perf_counter() - start < 1.0  # the value is never copied whole
    assert len(message) < 200 and "\n" not in message
    assert message.endswith(f"got '{'a' * 55}...' ({len(HUGE)} characters).")


@pytest.mark.parametrize(
    "value, shown",
    [
        ("s0", "'s0'"),
        ("two\nlines", "'two\\nlines'"),
        ("\x1b[2J\x1b[31mspoof", "'\\x1b[2J\\x1b[31mspoof'"),
        (7, "7"),
        (1e308, "1e+308"),
        (10**5000, "<an integer of 16610 bits>"),  # repr() itself would raise ValueError
    ],
    ids=["plain", "newline", "ansi", "int", "float", "long-int"],
)
def test_show_escapes_what_a_terminal_would_act_on(value, shown):
    assert show(value) == shown


def test_show_cuts_containers_and_escaped_strings():
    assert len(show(list(range(10**6)))) <= 60
    assert len(show({"k": HUGE})) <= 60
    text = show("\n" * 1000)
    assert text == "'" + "\\n" * 27 + "...' (1000 characters)"


def test_printable_escapes_labels_and_cuts_long_ones():
    assert printable("left") == "left" and printable("é ✓") == "é ✓"  # printable text stays as it is
    assert printable("a\nb\x1b[31m\x00") == "a\\nb\\x1b[31m\\x00"
    assert printable("x" * 100, 20) == "x" * 17 + "... (100 characters)"
    assert printable("\x1b" * 10, 10) == "\\x1b... (10 characters)"  # an escape is never cut in two
    assert printable(HUGE).endswith(f"... ({len(HUGE)} characters)") and len(printable(HUGE)) < 100
    assert printable(3) == "3"


def test_every_check_message_stays_short():
    for check in (lambda: check_int("n", HUGE), lambda: check_str("label", [HUGE])):
        with pytest.raises(ConfigError) as err:
            check()
        assert len(str(err.value)) < 200
    from dataclasses import dataclass

    @dataclass
    class Config:
        gamma: float = 0.0

    start = time.perf_counter()
    with pytest.raises(ConfigError) as err:
        make_config(Config, None, {HUGE: 1}, "demo")
    assert time.perf_counter() - start < 1.0  # no close-match search over 50 MiB (difflib takes seconds)
    assert len(str(err.value)) < 200 and f"({len(HUGE)} characters)" in str(err.value)
