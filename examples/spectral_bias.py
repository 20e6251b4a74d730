"""Spectral bias: one image fitted by seven networks at equal steps (Tancik et al. 2020; Sitzmann et al. 2020).

ReLU MLPs learn the low frequencies of a signal first and the fine detail late or never; an
input encoding (NeRF's positional encoding, Gaussian Fourier features of scale sigma) or sine
activations remove that bias. Every network here has 3 hidden layers of 256 units and is
trained on the same pixels, full batch, for the same number of Adam steps, each at the
learning rate of its paper (1e-3 for the ReLU and tanh networks, 1e-4 for the Siren).

Writes spectral_bias.png (the fits and their PSNR against step) and spectral_bias.json (the
table) in the working directory, and prints the table.

    python examples/spectral_bias.py                          # cameraman 128 x 128, 500 steps
    python examples/spectral_bias.py --size 64 --steps 200    # a quick look
    python examples/spectral_bias.py --image photo.png        # any image
"""

import argparse
import time

import numpy as np

import pinnfield as pf
from pinnfield.io import write_json
from pinnfield.plot import new_figure, save_figure
from pinnfield.problems import image
from pinnfield.validation.image_report import fitted_image

# Parameters
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--size", type=int, default=128, help="image side in pixels (default 128)")
parser.add_argument("--steps", type=int, default=500, help="Adam steps per network (default 500)")
parser.add_argument("--image", default=None, help="an image file (default: cameraman)")
args = parser.parse_args()
width, depth = 256, 3


def relu(encoding=None):
    return pf.MLP(in_dim=2, out_dim=1, width=width, depth=depth, activation="relu", encoding=encoding)


NETWORKS = {  # name: (field, learning rate)
    "ReLU": (relu(), 1e-3),
    "ReLU + PE (L=8)": (relu(pf.PositionalEncoding(L=8)), 1e-3),
    "ReLU + FF (sigma=1)": (relu(pf.FourierFeatures(m=256, sigma=1.0)), 1e-3),
    "ReLU + FF (sigma=10)": (relu(pf.FourierFeatures(m=256, sigma=10.0)), 1e-3),
    "ReLU + FF (sigma=100)": (relu(pf.FourierFeatures(m=256, sigma=100.0)), 1e-3),
    "tanh": (pf.MLP(in_dim=2, out_dim=1, width=width, depth=depth, activation="tanh"), 1e-3),
    "SIREN": (pf.Siren(in_dim=2, out_dim=1, width=width, depth=depth), 1e-4),
}

# Domain
pixels = image.pixels(args.image, size=args.size)
if len(pixels.channels) != 1:
    raise SystemExit("This comparison fits grey images; convert a colour image to grey first.")

# Solve
results, fits, curves = {}, {}, {}
for name, (network, lr) in NETWORKS.items():
    started = time.perf_counter()
    solution = pf.fit(image.problem(args.image, size=args.size, net=network), steps=args.steps, lr=lr,
                      schedule="constant", seed=0, progress=False)
    seconds = time.perf_counter() - started
    fits[name] = np.clip(fitted_image(solution, pixels, ["u"], lambda u: (u + 1) / 2), 0, 1)
    # Full batch: the loss is the mean squared error of 2 I - 1, so PSNR (range 1, before
    # clipping) = 10 log10(4 / loss).
    curves[name] = 10 * np.log10(4 / np.asarray(solution.history["loss"]))
    results[name] = {"psnr": pf.metrics.psnr(fits[name], pixels.image, data_range=1.0),
                     "ssim": pf.metrics.ssim(fits[name], pixels.image, data_range=1.0),
                     "lr": lr, "steps": args.steps, "wall_seconds": seconds}
    print(f"{name:<22} PSNR {results[name]['psnr']:6.2f} dB  SSIM {results[name]['ssim']:.3f}  {seconds:6.1f} s",
          flush=True)

# Plot
fig, axes = new_figure(2, 4, (16, 8.4))
panels = axes.ravel()
for ax, name in zip(panels, NETWORKS):
    ax.imshow(fits[name], cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"{name}: {results[name]['psnr']:.1f} dB", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
for name, curve in curves.items():
    panels[-1].plot(np.arange(len(curve)), curve, label=name, lw=1.2)
panels[-1].set_xlabel("Adam step")
panels[-1].set_ylabel("PSNR (dB)")
panels[-1].set_title(f"{args.size} x {args.size}, equal steps", fontsize=10)
panels[-1].grid(True, alpha=0.3)
panels[-1].legend(fontsize=7)
save_figure(fig, "spectral_bias.png")
write_json("spectral_bias.json", {"size": args.size, "steps": args.steps, "image": args.image or "cameraman",
                                  "networks": results})
gap = results["SIREN"]["psnr"] - results["ReLU"]["psnr"]
print(f"PSNR of SIREN minus PSNR of ReLU (dB): {gap:.2f}")
