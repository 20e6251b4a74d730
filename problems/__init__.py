"""Ready problems, each runnable as ``pinnfield run NAME`` and ``pinnfield validate NAME``.

A module exposes ``problem(**params) -> pf.Problem``, ``DEFAULTS`` (its tuned fit()
settings), ``solve(**fit_overrides) -> pf.Solution``, ``evaluation_axes()`` (1-D node arrays
of the evaluation grid, one per coordinate) and ``references(axes)``; optionally ``outputs(solution)``,
``evaluation_mask(axes)`` and ``TIME`` (see ``pinnfield.validation.report``). Data-driven problems
(images, sound, surfaces) take ``data`` in ``problem`` and ``solve`` and supply ``report`` instead of
``evaluation_axes`` and ``references``.
``REGISTRY`` names them for the ``pinnfield`` command.
"""

REGISTRY = {
    "poisson": "Poisson on the unit square with u = sin(pi x) sin(pi y): exact and 5-point FD references",
    "helmholtz": "Helmholtz, k0 = 4 pi, u = sin(k0 x) sin(k0 y) on the unit square: exact and 5-point FD",
    "helmholtz_source": "Gaussian point source, k = 10, complex field with a PML: (i/4) H0(kr) and FD with the same PML",
    "wave1d": "u_tt = 4 u_xx on [0,1]^2, two standing modes: exact and leapfrog FD",
    "wave2d": "Membrane on [-1,1]^2 released from a Gaussian pulse, t in [0,1]: leapfrog FD",
    "eikonal": "|grad u| = 1 on [-1,1]^2 from the origin: exact distance and fast sweeping",
    "eikonal_layered": "|grad T| = 1/c, c = 1.5 + 0.5 tanh(10 y), source (0, 0.5), factored: fast sweeping",
    "burgers": "u_t + u u_x = (0.01/pi) u_xx, u0 = -sin(pi x): Cole-Hopf and method of lines",
    "image": "Siren fit of an image (cameraman 128 x 128, or --data IMAGE): PSNR and SSIM",
    "image_poisson_grad": "Image reconstructed from its Sobel gradient alone: aligned PSNR and SSIM",
    "image_poisson_lap": "Image reconstructed from its Laplacian alone: aligned PSNR and SSIM",
    "audio": "Siren fit of a sound (a synthetic chord, or --data WAV, first 2 s), omega0 = 3000: SNR",
    "sdf": "Signed distance of a surface (a torus, or --data MESH) by the SIREN loss: Chamfer, IoU, normals",
    "occupancy": "Occupancy logit of a solid (a torus, or --data MESH) by cross-entropy: Chamfer, IoU, normals",
    "nerf": "NeRF radiance field from posed images (an analytic ball, or --data DIR): PSNR, SSIM, depth, mesh",
}
