from shop.jobs import run_jobs


def test_run_jobs_breadth_first():
    assert run_jobs([("a", 2)]) == ["a", "a.0", "a.1", "a.0.0", "a.1.0"]
    assert run_jobs([]) == []


def test_run_jobs_many():
    done = run_jobs([(f"j{k}", 8) for k in range(300)])
    assert done[0] == "j0"
    assert len(done) == len(set(done))
    assert len(done) == 300 * (1 + 8 + 8 * 4 + 8 * 4 * 2 + 8 * 4 * 2)
