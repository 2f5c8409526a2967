"""The program leaves its objects to the OS at exit instead of to the interpreter's final collection."""

import gc
from unittest import mock

from tests.program.harness import run_stack


def test_the_program_freezes_what_it_leaves_at_exit() -> None:
    with mock.patch("atexit.register") as register:
        run_stack("dev")
    assert mock.call(gc.freeze) in register.call_args_list
