"""fit(compile=True): the sine layers' jet kernels compiled by torch.compile, or run eagerly
when compiling fails."""

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.equations import poisson

x, y = sp.symbols("x y")
u = sp.Function("u")(x, y)
EXACT = sp.sin(sp.pi * x) * sp.sin(sp.pi * y)


def helmholtz_like():
    square = pf.Box((0, 0), (1, 1), coords=(x, y))
    return pf.Problem(
        fields={u: pf.Siren(2, 1, width=16, depth=2, omega0=3.0, omega_hidden=3.0)},
        constraints=[pf.Constraint(poisson.residual(u, poisson.source(EXACT, (x, y)), (x, y)) + 4 * u - 4 * EXACT,
                                   on=square.interior, n=64),
                     pf.Constraint(u - EXACT, on=square.boundary, n=32, weight=10.0)],
    )


SETTINGS = dict(steps=20, lbfgs_steps=5, lr=3e-3, seed=2, dtype=torch.float64, progress=False)


def assert_same_training(a, b):
    np.testing.assert_allclose(a.history["loss"], b.history["loss"], rtol=1e-10)
    for p, q in zip(a.modules[0].parameters(), b.modules[0].parameters()):
        torch.testing.assert_close(p, q, rtol=1e-9, atol=1e-12)


@pytest.mark.slow
def test_compiled_training_follows_eager_training():
    eager = pf.fit(helmholtz_like(), **SETTINGS)
    compiled = pf.fit(helmholtz_like(), compile=True, **SETTINGS)
    assert compiled.info["compile"] and not eager.info["compile"]
    assert_same_training(compiled, eager)


def test_a_failing_compiler_warns_once_and_training_goes_on_eagerly(monkeypatch):
    def no_compiler(kernel, **options):
        raise RuntimeError("InvalidCxxCompiler: No working C++ compiler found")

    monkeypatch.setattr(torch, "compile", no_compiler)
    eager = pf.fit(helmholtz_like(), **SETTINGS)
    with pytest.warns(RuntimeWarning, match=r"torch.compile of the sine-jet kernels failed \(RuntimeError: "
                                            "InvalidCxxCompiler.*run eagerly") as caught:
        fallback = pf.fit(helmholtz_like(), compile=True, **SETTINGS)
    assert len([w for w in caught if "sine-jet" in str(w.message)]) == 1
    assert_same_training(fallback, eager)


def test_compile_must_be_a_bool():
    with pytest.raises(pf.OptionError, match="fit compile must be True or False; received 'yes'"):
        pf.fit(helmholtz_like(), steps=1, compile="yes", progress=False)
