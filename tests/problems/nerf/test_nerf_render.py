"""NeRF volume rendering: cameras, samplers and compositing against closed forms (float64)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pinnfield.errors import DataError
from pinnfield.problems.nerf.rays import focal_from_fov, pixel_rays, rays_for
from pinnfield.problems.nerf.render import composite, deltas, render_rays
from pinnfield.problems.nerf.sampling import hierarchical, merge, stratified

F64 = torch.float64
RADIUS, SIGMA, COLOUR = 0.5, 4.0, torch.tensor([0.9, 0.4, 0.1], dtype=F64)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def slope(widths, errors):
    return np.polyfit(np.log(widths), np.log(errors), 1)[0]


def render_profile(density, n, *, near=0.0, far=1.0, rule="mid", background=None):
    """Composite one ray whose density along t is ``density(t)`` (colour 1) on n equal bins."""
    edges, t = stratified(near, far, torch.zeros(1, 3, dtype=F64), n, jitter=False)
    if rule == "left":
        t = edges[:, :-1]
    sigma = density(t)
    return composite(sigma, torch.ones(1, n, 1, dtype=F64), deltas(t, edges), t, background=background)


def ball_field(points, dirs):
    inside = (torch.linalg.vector_norm(points, dim=-1) < RADIUS).to(points.dtype)
    return SIGMA * inside, COLOUR.to(points).expand(points.shape[0], 3)


def ball_exact(origins, directions, background):
    """Closed-form colour, opacity and expected depth of rays through the uniform ball at 0."""
    along = -(origins * directions).sum(-1)
    miss2 = (origins * origins).sum(-1) - along**2
    half = torch.sqrt((RADIUS**2 - miss2).clamp_min(0))
    chord = 2 * half
    through = torch.exp(-SIGMA * chord)
    opacity = 1 - through
    mean = torch.where(chord > 0, along - half + 1 / SIGMA - chord / torch.expm1(SIGMA * chord).clamp_min(1e-300), along)
    rgb = COLOUR * opacity[:, None] + background * through[:, None]
    return rgb, opacity, opacity * mean


def parallel_rays(count=13):
    offsets = torch.linspace(0, 0.6, count, dtype=F64)
    origins = torch.stack((offsets, torch.zeros_like(offsets), torch.full_like(offsets, 2.0)), -1)
    directions = torch.tensor([0.0, 0.0, -1.0], dtype=F64).expand(count, 3).contiguous()
    return origins, directions


def look_at_origin(position):
    """A c2w (4, 4) at ``position`` whose -z axis points at the origin."""
    back = position / torch.linalg.vector_norm(position)
    right = torch.linalg.cross(torch.tensor([0.0, 1.0, 0.0], dtype=F64), back)
    right = right / torch.linalg.vector_norm(right)
    up = torch.linalg.cross(back, right)
    c2w = torch.eye(4, dtype=F64)
    c2w[:3, 0], c2w[:3, 1], c2w[:3, 2], c2w[:3, 3] = right, up, back, position
    return c2w


# Slab: density SIGMA on [a, b], exact opacity 1 - exp(-SIGMA (b - a))


@pytest.mark.parametrize("n", [8, 16, 64])
@pytest.mark.parametrize("jitter", [False, True])
def test_slab_with_aligned_edges_is_exact(n, jitter):
    a, b = 0.25, 0.625
    edges, t = stratified(0.0, 1.0, 4, n, jitter=jitter, generator=gen())
    sigma = SIGMA * ((t >= a) & (t < b)).to(F64)
    out = composite(sigma, torch.ones(4, n, 1, dtype=F64), deltas(t, edges), t)
    assert torch.allclose(out.opacity, torch.tensor(1 - math.exp(-SIGMA * (b - a)), dtype=F64), rtol=0, atol=1e-12)


def test_slab_with_misaligned_edges_is_first_order():
    a, b = 1 / 3, 2 / 3
    exact = 1 - math.exp(-SIGMA * (b - a))
    ns = [2**k for k in range(3, 11)]
    errors = [abs(float(render_profile(lambda t: SIGMA * ((t >= a) & (t < b)).to(F64), n).opacity) - exact) for n in ns]
    assert abs(slope([1 / n for n in ns], errors) - 1) < 0.05
    assert errors[-1] < 1e-3


# Uniform ball: colour c (1 - exp(-SIGMA L)) + bg exp(-SIGMA L)


@pytest.mark.parametrize("background, value", [("white", 1.0), ("black", 0.0)])
def test_sphere_colour_converges_to_closed_form(background, value):
    origins, directions = parallel_rays()
    exact, _, _ = ball_exact(origins, directions, value)
    ns, errors = [32, 64, 128, 256, 512, 1024], []
    for n in ns:
        edges, t = stratified(1.0, 3.0, origins, n, jitter=False)
        points = origins[:, None] + t[..., None] * directions[:, None]
        sigma, rgb = ball_field(points.reshape(-1, 3), None)
        out = composite(sigma.reshape(t.shape), rgb.reshape(*t.shape, 3), deltas(t, edges), t, background=background)
        errors.append(float((out.rgb - exact).abs().max()))
    assert abs(slope([2 / n for n in ns], errors) - 1) < 0.15
    assert errors[-1] < 1.5e-3


def test_weights_and_final_transmittance_sum_to_one():
    sigma = 10 ** (6 * torch.rand(64, 32, generator=gen(), dtype=F64) - 3)
    t = torch.sort(torch.rand(64, 32, generator=gen(1), dtype=F64), dim=-1).values
    rgb = torch.rand(64, 32, 3, generator=gen(2), dtype=F64)
    for last in ("bin", "infinite"):
        out = composite(sigma, rgb, deltas(t, 1.0, last=last), t)
        assert torch.allclose(out.weights.sum(-1) + out.transmittance, torch.ones(64, dtype=F64), rtol=0, atol=1e-12)
        assert torch.allclose(out.opacity, 1 - out.transmittance, rtol=0, atol=1e-12)
        assert bool((out.weights >= 0).all())


def test_splitting_every_bin_changes_nothing():
    count, n = 8, 12
    edges = torch.sort(torch.rand(count, n + 1, generator=gen(), dtype=F64) * 4 + 1, dim=-1).values
    sigma = 3 * torch.rand(count, n, generator=gen(1), dtype=F64)
    rgb = torch.rand(count, n, 3, generator=gen(2), dtype=F64)
    t = torch.lerp(edges[:, :-1], edges[:, 1:], torch.rand(count, n, generator=gen(3), dtype=F64))
    middle = 0.5 * (edges[:, :-1] + edges[:, 1:])
    split_edges = torch.cat((torch.stack((edges[:, :-1], middle), -1).reshape(count, 2 * n), edges[:, -1:]), -1)
    split_t = torch.stack((edges[:, :-1], middle), -1).reshape(count, 2 * n)
    coarse = composite(sigma, rgb, deltas(t, edges), t, starts=edges[:, :-1], background="white")
    fine = composite(sigma.repeat_interleave(2, -1), rgb.repeat_interleave(2, -2), deltas(split_t, split_edges), split_t,
                     starts=split_edges[:, :-1], background="white")
    for name in ("rgb", "opacity", "transmittance", "depth", "disparity"):
        assert torch.allclose(getattr(coarse, name), getattr(fine, name), rtol=0, atol=1e-12), name


def test_exact_depth_of_a_ball_ray_is_independent_of_the_bins_within_the_ball():
    origins, directions = parallel_rays()
    _, opacity, depth = ball_exact(origins, directions, 0.0)
    near, far = 2 - torch.sqrt(RADIUS**2 - origins[:, 0] ** 2), 2 + torch.sqrt(RADIUS**2 - origins[:, 0] ** 2)
    inside = opacity > 0
    edges, t = stratified(near[inside], far[inside], origins[inside], 7, generator=gen())
    sigma = torch.full_like(t, SIGMA)
    out = composite(sigma, torch.ones(*t.shape, 1, dtype=F64), deltas(t, edges), t, starts=edges[:, :-1])
    assert torch.allclose(out.opacity, opacity[inside], rtol=0, atol=1e-12)
    assert torch.allclose(out.depth, depth[inside], rtol=0, atol=1e-12)


@pytest.mark.parametrize("background", [None, "white", torch.tensor([0.2, 0.5, 0.7], dtype=F64)])
def test_composite_gradcheck(background):
    sigma = (0.2 + 3 * torch.rand(3, 5, generator=gen(), dtype=F64)).requires_grad_()
    rgb = torch.rand(3, 5, 3, generator=gen(1), dtype=F64).requires_grad_()
    edges, t = stratified(1.0, 2.0, 3, 5, generator=gen(2))
    delta = deltas(t, edges)

    def outputs(sigma, rgb):
        out = composite(sigma, rgb, delta, t, background=background)
        exact = composite(sigma, rgb, delta, t, starts=edges[:, :-1])
        return out.rgb, out.opacity, out.weights, out.transmittance, out.depth, out.disparity, exact.depth

    assert torch.autograd.gradcheck(outputs, (sigma, rgb))


def test_quadrature_order_on_a_gaussian_bump():
    height, centre, width = 4.0, 0.3, 0.15
    integral = height * width * math.sqrt(math.pi / 2) * (
        math.erf((1 - centre) / (width * math.sqrt(2))) + math.erf(centre / (width * math.sqrt(2)))
    )
    exact = 1 - math.exp(-integral)
    ns = [32, 64, 128, 256, 512]

    def bump(t):
        return height * torch.exp(-((t - centre) ** 2) / (2 * width**2))

    for rule, order in (("left", 1), ("mid", 2)):
        errors = [abs(float(render_profile(bump, n, rule=rule).opacity) - exact) for n in ns]
        assert abs(slope([1 / n for n in ns], errors) - order) < 0.1, (rule, errors)


# Samplers


def test_stratified_bins_and_samples():
    edges, t = stratified(torch.tensor([1.0, 2.0], dtype=F64), torch.tensor([3.0, 6.0], dtype=F64), 2, 4, generator=gen())
    assert torch.equal(edges[:, 0], torch.tensor([1.0, 2.0], dtype=F64)) and torch.equal(edges[:, -1], torch.tensor([3.0, 6.0], dtype=F64))
    assert bool(((t >= edges[:, :-1]) & (t < edges[:, 1:])).all())
    _, mid = stratified(1.0, 3.0, 1, 4, jitter=False)
    assert torch.allclose(mid, torch.tensor([[1.25, 1.75, 2.25, 2.75]], dtype=torch.get_default_dtype()), atol=1e-7)


def test_hierarchical_uniform_weights_give_evenly_spaced_samples():
    edges, _ = stratified(2.0, 6.0, torch.zeros(3, 3, dtype=F64), 16, jitter=False)
    samples = hierarchical(edges, torch.ones(3, 16, dtype=F64), 8, deterministic=True)
    expected = 2.0 + 4.0 * (torch.arange(8, dtype=F64) + 0.5) / 8
    assert torch.allclose(samples, expected.expand(3, 8), rtol=0, atol=1e-12)


def test_hierarchical_puts_all_samples_in_the_only_weighted_bin():
    edges, _ = stratified(2.0, 6.0, torch.zeros(3, 3, dtype=F64), 16, jitter=False)
    weights = torch.zeros(3, 16, dtype=F64)
    weights[:, 5] = 1.0
    for samples in (hierarchical(edges, weights, 32, deterministic=True),
                    hierarchical(edges, weights, 32, generator=gen(), eps=1e-12)):
        assert bool(((samples >= edges[:, 5:6]) & (samples <= edges[:, 6:7])).all())


def test_hierarchical_zero_weights_are_finite_and_samples_sorted_in_range():
    edges, _ = stratified(2.0, 6.0, torch.zeros(4, 3, dtype=F64), 16, jitter=False)
    weights = torch.rand(4, 16, generator=gen(), dtype=F64) ** 4
    weights[0] = 0.0
    samples = hierarchical(edges, weights, 64, generator=gen(1))
    assert bool(torch.isfinite(samples).all())
    assert bool((samples.diff(dim=-1) >= 0).all())
    assert bool(((samples >= 2.0) & (samples <= 6.0)).all())
    merged = merge(stratified(2.0, 6.0, 4, 16, generator=gen(2))[1], samples)
    assert merged.shape == (4, 80) and bool((merged.diff(dim=-1) >= 0).all())


# Cameras


def test_focal_from_camera_angle():
    assert focal_from_fov(100, 0.6911112070083618) == pytest.approx(138.889, abs=1e-3)
    assert focal_from_fov(800, 0.6911112070083618) == pytest.approx(1111.111, abs=1e-3)
    assert focal_from_fov(100, 0.6911) == pytest.approx(138.889, abs=5e-3)


def test_camera_rays_follow_the_opengl_convention():
    q, _ = torch.linalg.qr(torch.randn(3, 3, generator=gen(), dtype=F64))
    c2w = torch.eye(4, dtype=F64)
    c2w[:3, :3], c2w[:3, 3] = q, torch.tensor([0.5, -1.0, 2.0], dtype=F64)
    origins, directions = pixel_rays(c2w, 5, 3, 4.0)
    assert origins.shape == directions.shape == (15, 3)
    assert torch.allclose(origins, c2w[:3, 3].expand(15, 3), rtol=0, atol=0)
    assert torch.allclose(torch.linalg.vector_norm(directions, dim=-1), torch.ones(15, dtype=F64), rtol=0, atol=1e-14)
    assert torch.allclose(directions[1 * 5 + 2], -c2w[:3, 2], rtol=0, atol=1e-14)
    _, top_left = pixel_rays(torch.eye(4, dtype=F64)[:3], 5, 3, 4.0, pixels=torch.tensor([0]))
    expected = torch.tensor([(0.5 - 2.5) / 4.0, -(0.5 - 1.5) / 4.0, -1.0], dtype=F64)
    assert torch.allclose(top_left[0], expected / torch.linalg.vector_norm(expected), rtol=0, atol=1e-15)


def test_rays_for_several_cameras_matches_pixel_rays():
    c2ws = torch.stack((look_at_origin(torch.tensor([0.0, 0.5, 3.0], dtype=F64)), look_at_origin(torch.tensor([2.0, 1.0, -1.0], dtype=F64))))
    camera, pixel = torch.tensor([1, 0, 1, 0]), torch.tensor([3, 7, 11, 0])
    origins, directions = rays_for(c2ws, camera, pixel, 4, 3, torch.tensor([3.0, 5.0], dtype=F64))
    for r in range(4):
        o, d = pixel_rays(c2ws[camera[r]], 4, 3, [3.0, 5.0][camera[r]], pixels=pixel[r : r + 1])
        assert torch.allclose(origins[r], o[0], rtol=0, atol=0) and torch.allclose(directions[r], d[0], rtol=0, atol=1e-15)


def test_errors_name_the_argument_and_the_fix():
    with pytest.raises(DataError, match=r"near must be smaller than far.*near = 3.0 and far = 2.0.*swap"):
        stratified(3.0, 2.0, 4, 8)
    with pytest.raises(DataError, match=r"c2w must have shape \(4, 4\) or \(3, 4\); received shape \(4, 3\)"):
        pixel_rays(torch.eye(4, 3), 4, 4, 2.0)
    with pytest.raises(DataError, match=r"pixel_index must lie in \[0, 12\)"):
        rays_for(torch.eye(4)[None], torch.tensor([0]), torch.tensor([12]), 4, 3, 2.0)
    with pytest.raises(DataError, match=r"composite rgb must have shape \(R, S, C\) = \(2, 3, C\)"):
        composite(torch.ones(2, 3), torch.ones(2, 3), torch.ones(2, 3), torch.ones(2, 3))
    with pytest.raises(DataError, match=r"hierarchical weights must have shape \(R, n\) = \(2, 4\)"):
        hierarchical(torch.ones(2, 5), torch.ones(2, 5), 8)
    with pytest.raises(ValueError, match="background must be None"):
        composite(torch.ones(2, 3), torch.ones(2, 3, 3), torch.ones(2, 3), torch.ones(2, 3), background="grey")


# render_rays


def camera_at_ball(size=16):
    c2w = look_at_origin(torch.tensor([0.3, 0.4, 2.9], dtype=F64))
    return pixel_rays(c2w, size, size, 2.0 * size)


def test_render_rays_matches_the_ball_closed_form():
    origins, directions = camera_at_ball()
    exact_rgb, exact_opacity, exact_depth = ball_exact(origins, directions, 1.0)
    assert 0 < int((exact_opacity > 0).sum()) < origins.shape[0]
    out = render_rays(ball_field, origins, directions, 2.0, 4.0, n_coarse=128, n_fine=64, jitter=False, background="white")
    for result, tolerance in ((out.coarse, 0.015), (out.fine, 0.007)):
        assert float((result.rgb - exact_rgb).abs().max()) < tolerance
        assert float((result.opacity - exact_opacity).abs().max()) < tolerance
        assert float((result.depth - exact_depth).abs().max()) < 3 * tolerance
        assert all(bool(torch.isfinite(getattr(result, name)).all()) for name in ("rgb", "opacity", "depth", "disparity", "weights"))
        hit = result.opacity > 0
        distance = result.depth[hit] / result.opacity[hit]
        assert bool(((distance >= 2.0) & (distance <= 4.0)).all())
        assert torch.equal(result.disparity[~hit], torch.zeros_like(result.disparity[~hit]))
    assert out.fine.t.shape == (origins.shape[0], 192) and out.final is out.fine


def test_render_rays_does_not_depend_on_chunk():
    origins, directions = camera_at_ball(12)
    runs = [render_rays(ball_field, origins, directions, 2.0, 4.0, n_coarse=32, n_fine=16, background="random",
                        generator=gen(7), chunk=chunk) for chunk in (37, 10**6)]
    for level in ("coarse", "fine"):
        for name in ("rgb", "opacity", "weights", "depth", "t", "background"):
            a, b = getattr(getattr(runs[0], level), name), getattr(getattr(runs[1], level), name)
            assert torch.allclose(a, b, rtol=0, atol=1e-12), (level, name)


def test_render_rays_keeps_the_dtype_and_device_of_its_inputs():
    origins, directions = camera_at_ball(4)
    origins, directions = origins.float(), directions.float()
    out = render_rays(ball_field, origins, directions, 2.0, 4.0, n_coarse=8, n_fine=8, generator=gen())
    assert out.fine.rgb.dtype == torch.float32 and out.fine.rgb.device == origins.device
