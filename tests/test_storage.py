"""Solution and checkpoint files hold plain data only and are read without running anything:
expressions round-trip node by node, networks are rebuilt from a fixed registry (or classes the
caller passes), and every crafted or damaged file is a CheckpointError that runs nothing."""

import os
import sys

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.train.checkpoints import read_training_state, saved_settings
from pinnfield.cli import main
from pinnfield.problems import REGISTRY
from pinnfield.storage import (FIELD_CLASSES, NODE_TYPES, SOLUTION_FORMAT, config_from_data, config_to_data,
                               expression_from_data, expression_to_data, read_file)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "train", "golden"))

from cases import CASES  # noqa: E402

x, y = sp.symbols("x y")
u = sp.Function("u")(x, y)


def same(a, b) -> bool:
    """Equal as sympy trees, down to the constructor arguments (srepr)."""
    return a == b and sp.srepr(a) == sp.srepr(b)


def round_trip(expr):
    return expression_from_data(expression_to_data(expr))


def plain(data) -> bool:
    if isinstance(data, (tuple, list)):
        return all(plain(d) for d in data)
    return data is None or isinstance(data, (str, int, float, bool))


EXPRESSIONS = [
    sp.sin(sp.pi * x) * sp.sin(sp.pi * y),
    sp.Rational(1, 3) * x**2 - sp.S.Half + sp.S.NegativeOne * y + sp.S.Zero + sp.S.One,
    sp.Float(0.1) * x + sp.Float("1.23456789012345678901234567890", 40),
    sp.I / 4 * sp.hankel1(0, 10 * sp.sqrt(x**2 + y**2)) + sp.hankel2(1, x) + sp.besselj(0, x) + sp.bessely(1, y),
    u.diff(x, 2) + u.diff(x, y) + sp.Function("v", real=True)(x).diff(x),
    sp.Piecewise((x, x > 1), (y, sp.And(x <= 0, sp.Or(y < 1, sp.Not(sp.Eq(x, y))))), (0, True)),
    sp.exp(-sp.Symbol("r", positive=True)) * sp.Heaviside(x) + sp.Max(x, y) + sp.Min(x, 1) + sp.atan2(y, x),
    sp.log(x) + sp.tan(x) + sp.cos(y) + sp.tanh(x) + sp.sinh(x) + sp.cosh(y) + sp.asin(x) + sp.acos(y) + sp.atan(x),
    sp.asinh(x) + sp.acosh(y) + sp.atanh(x) + sp.Abs(x) + sp.sign(y) + sp.re(x) + sp.im(x) + sp.conjugate(y),
    sp.erf(x) + sp.erfc(y) + sp.cot(x) + sp.sec(x) + sp.csc(y),
    sp.E + sp.oo * x, -sp.oo, sp.zoo, sp.nan, sp.true, sp.false, sp.Ne(x, 1), sp.Ge(x, y), sp.Tuple(1, x),
    pf.Parameter("c", init=2.0, bounds=(0.5, 4.0)) * x + pf.Parameter("k") * y,
]


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=range(len(EXPRESSIONS)))
def test_expressions_round_trip_exactly_as_plain_data(expr):
    data = expression_to_data(expr)
    assert plain(data)
    assert same(round_trip(expr), expr)


def test_floats_parameters_and_symbol_assumptions_come_back_exactly():
    value = sp.Float("3.14159265358979323846264338327950288", 60)
    back = round_trip(value)
    assert back._mpf_ == value._mpf_ and back._prec == value._prec
    assert round_trip(sp.Float(0.1)) == sp.Float(0.1)
    c = round_trip(pf.Parameter("c", init=2.0, bounds=(0.5, 4.0)))
    assert isinstance(c, pf.Parameter) and (c.init, c.bounds) == (2.0, (0.5, 4.0))
    assert round_trip(sp.Symbol("t", nonnegative=True)).is_nonnegative


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_ready_problem_round_trips_and_evaluates_identically(name, tmp_path):
    problem = CASES[name][0]()
    solution = pf.Solution(problem.modules, problem.functions, problem.coords, problem.constants, problem.exact,
                           parameters={p: 0.5 for p in problem.parameters}, info={"steps": 0},
                           derivatives=CASES[name][1].get("derivatives", "auto"))
    path = str(tmp_path / "solution.pt")
    solution.save(path)
    loaded = pf.Solution.load(path)
    assert all(same(a, b) for a, b in zip(loaded.coords, solution.coords))
    assert [[sp.srepr(f) for f in fs] for fs in loaded.functions] == \
        [[sp.srepr(f) for f in fs] for fs in solution.functions]
    assert {sp.srepr(k): sp.srepr(v) for k, v in loaded.constants.items()} == \
        {sp.srepr(k): sp.srepr(v) for k, v in solution.constants.items()}
    assert {sp.srepr(k): sp.srepr(sp.sympify(v)) for k, v in loaded.exact.items()} == \
        {sp.srepr(k): sp.srepr(sp.sympify(v)) for k, v in solution.exact.items()}
    points = np.random.default_rng(0).uniform(problem.lower_bounds, problem.upper_bounds,
                                              size=(32, len(problem.coords)))
    for f in solution.slots:
        np.testing.assert_array_equal(loaded.evaluate(str(f.func), points), solution.evaluate(str(f.func), points))
        if f in solution.exact:
            np.testing.assert_array_equal(loaded.exact_values(f, points), solution.exact_values(f, points))


def test_field_configs_with_encodings_and_expressions_round_trip():
    mlp = pf.MLP(2, 1, width=8, depth=2, encoding=pf.FourierFeatures(m=4, sigma=2.0))
    assert config_from_data(config_to_data(mlp.config()), "x") == mlp.config()
    config = {"value": sp.pi * x, "encoding": pf.PositionalEncoding(3), "sizes": (1, [2, None]), "flag": True}
    back = config_from_data(config_to_data(config), "x")
    assert same(back["value"], sp.pi * x) and isinstance(back["encoding"], pf.PositionalEncoding)
    assert (back["encoding"].L, back["sizes"], back["flag"]) == (3, (1, [2, None]), True)


def small_solution():
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    exact = sp.sin(sp.pi * x) * sp.sin(sp.pi * y)
    problem = pf.Problem(fields={u: pf.Siren(2, 1, width=8, depth=2)},
                         constraints=[pf.Constraint(u - exact, on=square.interior, n=16)], exact={u: exact})
    return pf.Solution(problem.modules, problem.functions, problem.coords, exact=problem.exact, info={"steps": 0})


class Labelled(pf.Siren):
    """A user's field: a Siren with a label among its constructor arguments."""

    def __init__(self, in_dim, out_dim=1, label="", **siren):
        super().__init__(in_dim, out_dim, **siren)
        self.label = label

    def config(self):
        return {**super().config(), "label": self.label}


def test_a_users_field_class_loads_only_when_passed(tmp_path):
    solution = small_solution()
    field = Labelled(2, 1, label="mine", width=8, depth=2)
    solution = pf.Solution([field], solution.functions, solution.coords, info={"steps": 0})
    path = str(tmp_path / "mine.pt")
    solution.save(path)
    with pytest.raises(pf.CheckpointError, match=r"class 'Labelled', which Solution.load does not know; it rebuilds "
                                                 r"Siren, MLP, PirateNet, NeRFField.*fields=\{'Labelled': Labelled\}"):
        pf.Solution.load(path)
    loaded = pf.Solution.load(path, fields={"Labelled": Labelled})
    assert loaded.modules[0].label == "mine"
    points = np.random.default_rng(1).uniform(size=(8, 2))
    np.testing.assert_array_equal(loaded.evaluate("u", points), solution.evaluate("u", points))
    with pytest.raises(pf.OptionError, match="fields must map saved class names"):
        pf.Solution.load(path, fields={"Labelled": object})


def test_what_cannot_be_stored_is_refused_at_save_time(tmp_path):
    solution = small_solution()
    solution.exact[u] = sp.Integral(x, (x, 0, 1))
    with pytest.raises(pf.DataError, match=r"exact solution for u\(x, y\) holds a sympy Integral node"):
        solution.save(str(tmp_path / "s.pt"))
    solution = small_solution()
    solution.constants[sp.Symbol("__k")] = sp.Integer(1)
    with pytest.raises(pf.DataError, match=r"symbol named '__k'.*Rename it"):
        solution.save(str(tmp_path / "s.pt"))
    assert not os.listdir(tmp_path)
    assert "Add" in NODE_TYPES and "Integral" not in NODE_TYPES


MARKER = "pinnfield_marker"


def payload(marker) -> str:
    """Python text that creates ``marker`` if anything evaluates it."""
    return f"__import__('pathlib').Path(r'{marker}').touch()"


def saved_state(tmp_path) -> dict:
    path = str(tmp_path / "good.pt")
    small_solution().save(path)
    return torch.load(path, weights_only=True)


def test_the_payload_would_run_if_evaluated(tmp_path):
    marker = tmp_path / MARKER
    sp.sympify(payload(marker))
    assert marker.exists()


def crafted_files(tmp_path) -> dict:
    """Files whose text would create the marker if evaluated: the old srepr format, and the new
    format with an unknown node type, a function and a symbol named like code."""
    marker = str(tmp_path / MARKER)
    state = saved_state(tmp_path)
    old = {**state, "format": "pinnfield.solution/1", "coords": [payload(marker)],
           "exact": [("Function('u')(Symbol('x'), Symbol('y'))", payload(marker))]}
    node = {**state, "exact": [(state["exact"][0][0], ("__import__", (("Symbol", "os", ()),)))]}
    function = {**state, "exact": [(state["exact"][0][0], ("Function", "__import__", (), (("Symbol", "os", ()),)))]}
    symbol = {**state, "coords": [("Symbol", payload(marker), ())] + state["coords"][1:]}
    files = {}
    for name, crafted in (("old", old), ("node", node), ("function", function), ("symbol", symbol)):
        files[name] = str(tmp_path / f"{name}.pt")
        torch.save(crafted, files[name])
    return files


MESSAGES = {
    "old": r"old format 'pinnfield.solution/1'.*does not parse it. Re-save it with this version",
    "node": r"node of type '__import__', which pinnfield does not read; nothing in it was run",
    "function": r"function named '__import__'",
    "symbol": r"symbol named \"__import__",
}


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_crafted_solution_files_run_nothing(tmp_path, kind):
    path = crafted_files(tmp_path)[kind]
    with pytest.raises(pf.CheckpointError, match=MESSAGES[kind]) as caught:
        pf.Solution.load(path)
    assert repr(path) in str(caught.value) or kind in ("function", "symbol")
    assert not (tmp_path / MARKER).exists()


@pytest.mark.parametrize("name", ["__import__", "exec", "\uff45\uff58\uff45\uff43", "os.system", "lambda", "a b", 3])
def test_function_and_symbol_names_that_are_not_plain_identifiers_are_refused(name):
    with pytest.raises(pf.CheckpointError, match="function named"):
        expression_from_data(("Function", name, (), (("Symbol", "x", ()),)), "f.pt")
    if name not in ("exec", "\uff45\uff58\uff45\uff43"):
        with pytest.raises(pf.CheckpointError, match="symbol named"):
            expression_from_data(("Symbol", name, ()), "f.pt")


def test_a_pickle_that_calls_code_is_refused_unrun(tmp_path):
    marker = tmp_path / MARKER

    class Exploit:
        def __reduce__(self):
            return (eval, (payload(marker),))

    path = str(tmp_path / "exploit.pt")
    torch.save({"format": SOLUTION_FORMAT, "coords": Exploit()}, path)
    with pytest.raises(pf.CheckpointError, match="objects other than tensors and plain data.*nothing in it was run"):
        pf.Solution.load(path)
    with pytest.raises(pf.CheckpointError, match="objects other than tensors"):
        read_training_state(path)
    assert not marker.exists()


def test_damaged_solution_and_checkpoint_files_are_checkpoint_errors(tmp_path):
    state = saved_state(tmp_path)
    cases = {
        "class": ({**state, "fields": [{**state["fields"][0], "class": "Evil"}]},
                  r"field of class 'Evil', which Solution.load does not know; it rebuilds Siren, MLP, PirateNet, NeRFField"),
        "missing": ({k: v for k, v in state.items() if k != "exact"}, r"its 'exact' entry is missing"),
        "list": ([1, 2, 3], r"holds a list, not a dict"),
        "format": ({**state, "format": "other/1"}, r"format 'other/1'; expected 'pinnfield.solution/2'"),
        "config": ({**state, "fields": [{**state["fields"][0], "config": ("dict", (("width", ("value", "wide")),))}]},
                   r"saved Siren field cannot be rebuilt"),
    }
    for name, (content, message) in cases.items():
        path = str(tmp_path / f"{name}.pt")
        torch.save(content, path)
        with pytest.raises(pf.CheckpointError, match=message):
            pf.Solution.load(path)
    good = tmp_path / "good.pt"
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(pf.CheckpointError, match=r"truncated.pt' is not a pinnfield solution file"):
        pf.Solution.load(str(truncated))
    with pytest.raises(pf.CheckpointError, match=r"truncated.pt' is not a pinnfield checkpoint file"):
        read_training_state(str(truncated))
    with pytest.raises(pf.CheckpointError, match="No saved solution"):
        read_file(str(tmp_path / "none.pt"), "solution")


def test_checkpoint_readers_refuse_incomplete_training_states(tmp_path):
    path = str(tmp_path / "checkpoint.pt")
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    problem = pf.Problem(fields={u: pf.Siren(2, 1, width=8, depth=2)},
                         constraints=[pf.Constraint(u, on=square.interior, n=8)])
    pf.fit(problem, steps=2, checkpoint=path, progress=False)
    assert saved_settings(path)["phases"][0]["steps"] == 2
    state = torch.load(path, weights_only=True)
    torch.save({**state, "fields": [{**state["fields"][0], "class": "Evil"}]}, path)
    with pytest.raises(pf.CheckpointError, match=r"checkpoint.pt' holds a field of class 'Evil'.*fields="):
        pf.Solution.load(path)
    torch.save([state["training"]], path)
    with pytest.raises(pf.CheckpointError, match=r"checkpoint.pt' is not a pinnfield checkpoint file \(it holds a list"):
        read_training_state(path)
    del state["training"]["settings"]
    torch.save(state, path)
    with pytest.raises(pf.CheckpointError, match=r"incomplete training state \(missing settings\)"):
        read_training_state(path)
    torch.save({"format": "pinnfield.checkpoint/1", "training": {"format": "pinnfield.training/1"}}, path)
    with pytest.raises(pf.CheckpointError, match="holds only a training state"):
        pf.Solution.load(path)


@pytest.mark.parametrize("kind", ["old", "function"])
def test_validate_on_a_crafted_run_folder_runs_nothing(tmp_path, capsys, kind):
    out = tmp_path / "run"
    out.mkdir()
    crafted = crafted_files(tmp_path)[kind]
    os.replace(crafted, out / "solution.pt")
    before = (out / "solution.pt").read_bytes()
    assert main(["validate", "poisson", "--out", str(out), "--quiet"]) == 2
    assert "pinnfield: error:" in capsys.readouterr().err
    assert not (tmp_path / MARKER).exists()
    assert sorted(os.listdir(out)) == ["solution.pt"] and (out / "solution.pt").read_bytes() == before


def test_the_registry_names_every_saveable_pinnfield_field():
    import pinnfield.problems.nerf.model  # noqa: F401  (defines NeRFField)

    def subclasses(cls):
        return [cls] + [s for c in cls.__subclasses__() for s in subclasses(c)]

    saveable = {c.__name__: c.__module__ for c in subclasses(pf.AbstractField)
                if c.__module__.startswith("pinnfield.") and c.config is not pf.AbstractField.config}
    assert saveable == dict(FIELD_CLASSES)
    with pytest.raises(TypeError):
        FIELD_CLASSES["Evil"] = "os"
