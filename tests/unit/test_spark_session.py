"""govlake.spark.spark_session: work done in-process (a CLI command under a test, a job called by
another) uses the running session and leaves it running for its owner."""

import pytest

from govlake.settings import load_settings
from govlake.spark import spark_session

pytestmark = pytest.mark.spark


def test_the_running_session_is_used_and_left_running(spark):
    with spark_session(load_settings(), "a-command") as s:
        assert s is spark
    assert spark.range(3).count() == 3  # not stopped by the command


def test_a_failure_inside_leaves_the_running_session_running(spark):
    with pytest.raises(RuntimeError), spark_session(load_settings(), "a-failing-command"):
        raise RuntimeError("the work failed")
    assert spark.range(2).count() == 2
