from onto_emulator import clock


class Thing:
    status = "new"


def test_a_change_takes_its_aws_time_scaled():
    t = Thing()
    clock.progress(t, [("creating", 300)], "available", kind="x", ident="a", action="create")
    assert t.status == "creating"
    clock.advance(299)
    assert t.status == "creating"
    clock.advance(2)
    assert t.status == "available"


def test_a_later_change_supersedes_one_in_progress():
    t = Thing()
    clock.progress(t, [("creating", 300)], "available", kind="x", ident="a", action="create")
    clock.progress(t, [("deleting", 60)], "gone", kind="x", ident="a", action="delete")
    clock.settle()
    assert t.status == "gone"


def test_the_critical_path_follows_what_each_change_waited_for():
    a, b, c = Thing(), Thing(), Thing()
    clock.progress(a, [("creating", 600)], "ACTIVE", kind="cluster", ident="c", action="create")
    clock.progress(c, [("creating", 300)], "available", kind="db", ident="d", action="create")
    clock.settle()
    clock.progress(b, [("creating", 180)], "ACTIVE", kind="nodegroup", ident="n", action="create", after_keys=["cluster/c"])
    clock.settle()
    seconds, chain = clock.critical_path(clock.timeline())
    assert chain == ["create cluster/c", "create nodegroup/n"]
    assert abs(seconds - 780 * clock.SCALE) < 0.05


def test_the_scale_takes_a_fraction():
    assert clock._scale_from("1/60") == 1 / 60
    assert clock._scale_from("0.5") == 0.5
    assert clock._scale_from(None) == 1 / 60


def test_a_chain_of_steps_is_not_stretched_by_sparse_polling(monkeypatch):
    """Each step of a state machine counts from when the previous one was
    due, not from the request that happened to apply it."""
    real = [100.0]
    monkeypatch.setattr(clock.time, "monotonic", lambda: real[0])
    monkeypatch.setattr(clock, "SCALE", 1.0)
    obj = type("Obj", (), {})()
    clock.progress(obj, [("creating", 10), ("backing-up", 10)], "available", kind="t", ident="x", action="create")
    real[0] = 125.0  # the first poll comes late, after both steps' time
    clock.tick()
    assert obj.status == "available"
