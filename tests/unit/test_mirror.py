"""The vector mirror: a float16 copy of chunk vectors by chunk row (rag.mirror)."""

from __future__ import annotations

import numpy as np

from rag.mirror import VectorMirror


def test_rows_are_written_where_they_belong_and_unwritten_rows_read_as_zeros(tmp_path, monkeypatch):
    import rag.mirror

    monkeypatch.setattr(rag.mirror, "_BLOCK", 2)  # rows asked out of order, over windows
    mirror = VectorMirror(tmp_path / "v.f16")
    assert not mirror.read(np.array([0, 3]), 2).any()  # no file yet
    mirror.write(np.array([1, 2, 5]), np.array([[3.0, 4.0], [0.0, 2.0], [1.0, 0.0]]))
    got = mirror.read(np.array([5, 1, 0, 9]), 2)
    # unit length, as float16
    assert np.allclose(got, [[1.0, 0.0], [0.6, 0.8], [0.0, 0.0], [0.0, 0.0]], atol=1e-3)
    mirror.write(np.array([9]), np.array([[0.0, -1.0]]))  # the file grows
    assert np.allclose(mirror.read(np.array([9]), 2), [[0.0, -1.0]], atol=1e-3)


def test_nearest_ranks_the_rows_asked_by_cosine_in_blocks(tmp_path, monkeypatch):
    import rag.mirror

    monkeypatch.setattr(rag.mirror, "_BLOCK", 3)  # several blocks, each cut to n
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(20, 8))
    mirror = VectorMirror(tmp_path / "v.f16")
    mirror.write(np.arange(20), vectors)
    question = rng.normal(size=8)
    rows = np.array([2, 3, 5, 7, 11, 13, 17, 19])
    found, cosines, absent = mirror.nearest(rows, 8, question, 3)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    exact = unit[rows] @ (question / np.linalg.norm(question))
    assert list(found) == list(rows[np.argsort(-exact)[:3]])
    assert np.allclose(cosines, np.sort(exact)[::-1][:3], atol=2e-3)
    assert not len(absent)
    # Rows the file lacks (past its end, or never written) are reported, never ranked.
    mirror.extend_to(30, 8)
    found, _, absent = mirror.nearest(np.array([2, 25, 40]), 8, question, 3)
    assert list(found) == [2] and sorted(absent) == [25, 40]
