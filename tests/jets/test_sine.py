"""The sine layer's jet kernel: its hand-written backward against finite differences, and the
compiled-kernels object against the eager kernel."""

import pytest
import torch

from pinnfield.jets import CompiledSineKernels, SineJet

@pytest.mark.parametrize("broadcast", [False, True], ids=["per_point_tangents", "shared_tangents"])
@pytest.mark.parametrize("curved", [False, True], ids=["flat_input", "curved_input"])
def test_sine_jet_backward_passes_gradcheck(broadcast, curved):
    """sin on a jet (value, tangents, forms) with its hand-written backward, against finite differences."""
    forms = ((((0, 0, 1.0), (1, 1, -4.0), (0, 2, 2.5)), ((2, 2, 1.0), (1, 2, -1.0))))
    g = torch.Generator().manual_seed(3)
    value = torch.randn(5, 4, dtype=torch.float64, generator=g, requires_grad=True)
    tangents = torch.randn(3, 1 if broadcast else 5, 4, dtype=torch.float64, generator=g, requires_grad=True)
    quads = torch.randn(2, 5, 4, dtype=torch.float64, generator=g, requires_grad=True)
    if curved:
        assert torch.autograd.gradcheck(lambda a, t, q: SineJet.apply(a, t, q, forms), (value, tangents, quads))
    else:
        assert torch.autograd.gradcheck(lambda a, t: SineJet.apply(a, t, a.new_zeros(()), forms), (value, tangents))


@pytest.mark.parametrize("broadcast", [False, True], ids=["per_point_tangents", "shared_tangents"])
@pytest.mark.parametrize("curved", [False, True], ids=["flat_input", "curved_input"])
def test_kernels_object_passes_gradcheck_and_equals_the_eager_sine_jet(broadcast, curved):
    """The sine jet through a CompiledSineKernels (its compiler the identity here, so the same
    kernels run eagerly): against finite differences and against the eager sine jet."""
    kernels = CompiledSineKernels(compiler=lambda kernel: kernel)
    forms = ((((0, 0, 1.0), (1, 1, -4.0), (0, 2, 2.5)), ((2, 2, 1.0), (1, 2, -1.0))))
    g = torch.Generator().manual_seed(5)
    value = torch.randn(5, 4, dtype=torch.float64, generator=g, requires_grad=True)
    tangents = torch.randn(3, 1 if broadcast else 5, 4, dtype=torch.float64, generator=g, requires_grad=True)
    quads = torch.randn(2, 5, 4, dtype=torch.float64, generator=g, requires_grad=True) if curved else value.new_zeros(())
    inputs = (value, tangents, quads) if curved else (value, tangents)

    def run(kernels):
        return lambda a, t, q=quads: SineJet.apply(a, t, q, forms, kernels)

    assert torch.autograd.gradcheck(run(kernels), inputs)
    weights = [torch.randn(o.shape, dtype=torch.float64, generator=g) for o in run(None)(*inputs)]
    results = []
    for choice in (kernels, None):
        outputs = run(choice)(*inputs)
        loss = sum((w * o).sum() for w, o in zip(weights, outputs))
        results.append([*outputs, *torch.autograd.grad(loss, inputs)])
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def _inputs(seed=7):
    g = torch.Generator().manual_seed(seed)
    value = torch.randn(6, 4, dtype=torch.float64, generator=g, requires_grad=True)
    tangents = torch.randn(2, 6, 4, dtype=torch.float64, generator=g, requires_grad=True)
    quads = torch.randn(1, 6, 4, dtype=torch.float64, generator=g, requires_grad=True)
    return value, tangents, quads


def _run(kernels, inputs, forms):
    outputs = SineJet.apply(*inputs, forms, kernels)
    loss = sum((o * o.cos()).sum() for o in outputs)
    return [*outputs, *torch.autograd.grad(loss, inputs)]


def test_a_failing_compiler_warns_once_per_object_and_the_kernels_run_eagerly():
    def raising(*args):
        raise RuntimeError("InvalidCxxCompiler: No working C++ compiler found\nmore detail")

    forms = (((0, 0, 1.0), (1, 1, 1.0), (0, 1, -0.5)),)
    inputs = _inputs()
    eager = _run(None, inputs, forms)
    kernels = CompiledSineKernels(compiler=lambda kernel: raising)
    with pytest.warns(RuntimeWarning, match=r"sine-jet kernels failed \(RuntimeError: InvalidCxxCompiler: No "
                                             r"working C\+\+ compiler found\); .* run eagerly") as caught:
        first = _run(kernels, inputs, forms)
        second = _run(kernels, inputs, forms)
    assert len([w for w in caught if "sine-jet" in str(w.message)]) == 1
    assert kernels.failure == "RuntimeError: InvalidCxxCompiler: No working C++ compiler found"
    for a, b, c in zip(eager, first, second):
        assert torch.equal(a, b) and torch.equal(a, c)
    with pytest.warns(RuntimeWarning, match="sine-jet kernels failed"):
        _run(CompiledSineKernels(compiler=lambda kernel: raising), inputs, forms)


def test_each_kernel_is_compiled_once_per_object():
    compiled = []
    kernels = CompiledSineKernels(compiler=lambda kernel: compiled.append(kernel.__name__) or kernel)
    forms = (((0, 0, 1.0), (1, 1, 1.0)),)
    for _ in range(3):
        _run(kernels, _inputs(), forms)
    assert sorted(compiled) == ["sine_backward", "sine_forward"] and kernels.failure is None
