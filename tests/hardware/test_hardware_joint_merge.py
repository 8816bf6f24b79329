"""JointStateMerger: partial JointState messages -> one vector, with a staleness bound."""

from __future__ import annotations

import numpy as np
import pytest

from hardware.joint_merge import JointStateMerger


def test_merge_partial_messages_and_staleness() -> None:
    m = JointStateMerger(["a", "b", "g"], max_age_s=0.1)
    assert m.update(["b", "a"], [2.0, 1.0], 0.00) is None  # g never heard yet
    assert m.missing() == ["g"]
    np.testing.assert_array_equal(m.update(["g", "x"], [5.0, 9.0], 0.05), [1.0, 2.0, 5.0])
    np.testing.assert_array_equal(m.update(["a", "b"], [3.0, 4.0], 0.14), [3.0, 4.0, 5.0])
    assert m.update(["a", "b"], [3.0, 4.0], 0.16) is None  # g is 0.11 s old
    assert m.update(["x"], [1.0], 0.16) is None  # nothing wanted in it
    assert m.seen == {"a", "b", "g", "x"}


def test_one_full_message_gives_its_own_values_with_fields() -> None:
    m = JointStateMerger(["a", "b"])
    out = m.update(["b", "a"], np.array([[2.0, 20.0], [1.0, 10.0]]), 1.0)
    np.testing.assert_array_equal(out, [[1.0, 10.0], [2.0, 20.0]])
    with pytest.raises(ValueError):
        JointStateMerger(["a"], max_age_s=0)
