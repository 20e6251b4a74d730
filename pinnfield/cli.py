"""The ``pinnfield`` command: list, run and validate ready problems.

    pinnfield list
    pinnfield run poisson [--steps N] [--lbfgs-steps M] [--lbfgs-resample-every K] [--out DIR] [--device D]
                          [--seed S] [--data PATH] [--paper] [--weighting lra|relobralo|ntk|heldout]
                          [--sampling uniform|sobol|rard|r3] [--checkpoint-every K] [--resume DIR]
                          [--nproc N]
    pinnfield validate poisson [--out DIR] [--retrain]

``run`` trains with the problem's defaults and writes ``metrics.json``, a figure, the field as
``.vtu`` and ``.npz`` and the solution ``solution.pt`` to ``--out`` (default ``runs/NAME``),
and while it trains the training state ``checkpoint.pt`` every ``--checkpoint-every`` steps and
on Ctrl-C. ``run NAME --resume DIR`` continues the run whose ``checkpoint.pt`` is in DIR
(writing to DIR unless ``--out`` says otherwise), with its steps and seed unless given. ``validate``
compares the solution in ``--out`` (trained first if there is none) with every reference and
writes ``validation.png`` and ``validation.json``.

``run NAME --nproc N`` trains on N processes of this machine (torchrun, data-parallel; see
:mod:`pinnfield.train.distributed`): rank 0 writes everything, and the evaluation on the report's
grids is split over the ranks.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import signal
import subprocess
import sys

from .errors import DataError, PinnfieldError
from .train import sampling, weighting

CHECKPOINT = "checkpoint.pt"
"""The training state's file name in a run's folder (see ``pinnfield.train.checkpoints``)."""

CHECKPOINT_EVERY = 500
"""Default steps between checkpoints of ``pinnfield run``."""

__all__ = ["main"]

SCORES = ("psnr", "ssim", "snr", "mse", "chamfer", "iou", "normal_consistency", "eikonal", "depth_error")
"""Metric name prefixes printed in a run's summary beside the relative L2 errors."""


def _problem_module(name: str):
    from pinnfield.problems import REGISTRY

    if name not in REGISTRY:
        raise DataError(
            f"There is no ready problem named {name!r}; expected one of "
            f"{', '.join(sorted(REGISTRY))}. Run 'pinnfield list' to see them."
        )
    return importlib.import_module(f"pinnfield.problems.{name}")


def _overrides(args, module) -> dict:
    overrides = {"progress": not args.quiet}
    for key in ("steps", "lbfgs_steps", "lbfgs_resample_every", "device", "seed"):
        value = getattr(args, key, None)
        if value is not None:
            overrides[key] = value
    if getattr(args, "compile", False):
        overrides["compile"] = True
    for key in ("weighting", "sampling"):
        if getattr(args, key, None) is not None:
            overrides[key] = getattr(args, key)
    if getattr(args, "data", None) is not None:
        if "data" not in inspect.signature(module.solve).parameters:
            raise DataError(
                f"Problem {args.problem!r} takes no --data: it is defined analytically. Drop "
                "--data, or pick a data-driven problem."
            )
        if not os.path.exists(args.data):
            raise DataError(f"--data {args.data!r} does not exist; give a file or folder path.")
        overrides["data"] = args.data
    if getattr(args, "paper", False):
        if "paper" not in inspect.signature(module.solve).parameters:
            raise DataError(
                f"Problem {args.problem!r} has no --paper scale; it runs at one scale. Drop --paper."
            )
        overrides["paper"] = True
    for key in ("steps", "lbfgs_steps"):
        if overrides.get(key, 0) < 0:
            raise DataError(f"--{key.replace('_', '-')} must be >= 0; received {overrides[key]}.")
    if overrides.get("lbfgs_resample_every", 1) < 1:
        raise DataError(f"--lbfgs-resample-every must be >= 1; received {overrides['lbfgs_resample_every']}.")
    return overrides


def _print_summary(results: dict, written: list[str]) -> None:
    for key in sorted(results):
        if key.startswith(("rel_l2", "max_abs")) or "_rel_l2_" in key:
            print(f"  {key:<22} {results[key]:.3e}")
        elif key.startswith(SCORES) and isinstance(results[key], (int, float)):
            print(f"  {key:<22} {results[key]:.4g}")
    print(f"  {'steps':<22} {results.get('steps')}")
    print(f"  {'wall_seconds':<22} {results.get('wall_seconds', 0):.1f}")
    print("wrote " + ", ".join(written))


def _checkpointing(args, out: str) -> dict:
    """fit() options of ``run``: checkpoints in ``out``; with ``--resume DIR``, DIR's checkpoint
    and, where not given, its steps, L-BFGS steps and seed."""
    from pinnfield.train.checkpoints import saved_settings
    from pinnfield.train.options import keyword_settings

    if args.checkpoint_every < 0:
        raise DataError(f"--checkpoint-every must be >= 0 (0: no checkpoints); received {args.checkpoint_every}.")
    options = {}
    if args.checkpoint_every:
        options = {"checkpoint": os.path.join(out, CHECKPOINT), "checkpoint_every": args.checkpoint_every}
    if args.resume is None:
        return options
    path = os.path.join(args.resume, CHECKPOINT)
    if not os.path.isfile(path):
        raise DataError(
            f"--resume {args.resume!r} holds no {CHECKPOINT}; expected the --out folder of an earlier "
            f"'pinnfield run', which writes {CHECKPOINT} every --checkpoint-every steps."
        )
    saved = {**saved_settings(path), **keyword_settings(saved_settings(path))}
    options["resume"] = path
    for key in ("steps", "lbfgs_steps", "seed"):
        if getattr(args, key) is None:
            options[key] = saved[key]
    return options


def _device_count(device: str | None) -> int | None:
    """The GPUs a run on ``device`` would use one per process; None for a CPU run."""
    import torch

    if device is not None and not device.startswith("cuda") and device != "auto":
        return None
    if not torch.cuda.is_available():
        if device is not None and device.startswith("cuda"):
            raise DataError(f"--device {device} asks for CUDA, which this machine does not have; use --device cpu.")
        return None
    return torch.cuda.device_count()


def _without_nproc(argv: list[str]) -> list[str]:
    """The command line less its ``--nproc N`` (the processes know their number from torchrun)."""
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item == "--nproc":
            skip = True
        elif not item.startswith("--nproc="):
            out.append(item)
    return out


def _launch(args, argv: list[str]) -> int:
    """``run --nproc N``: the same command on N processes started by torchrun on this machine."""
    if args.nproc < 1:
        raise DataError(f"--nproc must be >= 1; received {args.nproc}.")
    _problem_module(args.problem)
    gpus = _device_count(args.device)
    if gpus is not None and args.nproc > gpus:
        raise DataError(
            f"--nproc {args.nproc} asks for more processes than this machine's {gpus} GPU(s); each "
            f"process trains on a GPU of its own. Pass --nproc {gpus} or fewer, or --device cpu."
        )
    environment = dict(os.environ)
    if gpus is None and "OMP_NUM_THREADS" not in environment:
        environment["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // args.nproc))
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={args.nproc}",
               "--module", "pinnfield.cli", *_without_nproc(argv)]
    interrupted = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))
    try:  # torchrun passes Ctrl-C on to the processes, which stop and say where the checkpoint is
        code = subprocess.call(command, env=environment)
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        return 130
    if code:
        print(f"pinnfield: error: a process of 'pinnfield run {args.problem} --nproc {args.nproc}' failed "
              f"(exit code {code}) and the others were stopped; its error is above.", file=sys.stderr)
    return code


def _run(args) -> int:
    from pinnfield.train import distributed
    from pinnfield.validation.report import write_report

    if args.nproc is not None and args.nproc != 1 and not distributed.launched():
        return _launch(args, args.argv)
    module = _problem_module(args.problem)
    out = args.out or args.resume or os.path.join("runs", args.problem)
    overrides = {**_overrides(args, module), **_checkpointing(args, out)}
    try:
        solution = module.solve(**overrides)
    except KeyboardInterrupt:
        if "checkpoint" not in overrides or not os.path.isfile(overrides["checkpoint"]):
            raise
        ranks = f" --nproc {distributed.world_size()}" if distributed.world_size() > 1 else ""
        raise KeyboardInterrupt(
            f"the training state is in {overrides['checkpoint']}; continue with "
            f"'pinnfield run {args.problem} --resume {out}{ranks}'"
        ) from None
    if not distributed.is_main():
        distributed.serve_evaluations(solution)
        return 0
    solution.save(os.path.join(out, "solution.pt"))
    with distributed.sharing(solution) as shared:
        results, written = write_report(module, shared, out, args.problem, validation=False, data=args.data)
    print(f"pinnfield run {args.problem}: {out}")
    checkpoints = [overrides["checkpoint"]] if os.path.isfile(overrides.get("checkpoint", "")) else []
    _print_summary(results, written + [os.path.join(out, "solution.pt")] + checkpoints)
    return 0


def _validate(args) -> int:
    from pinnfield.solution import Solution
    from pinnfield.validation.report import write_report

    module = _problem_module(args.problem)
    out = args.out or os.path.join("runs", args.problem)
    checkpoint = os.path.join(out, "solution.pt")
    if os.path.exists(checkpoint) and not args.retrain:
        solution = Solution.load(checkpoint)
        print(f"validating the solution in {checkpoint} (--retrain trains afresh)")
    else:
        solution = module.solve(**_overrides(args, module))
        solution.save(checkpoint)
    results, written = write_report(module, solution, out, args.problem, validation=True, data=args.data)
    print(f"pinnfield validate {args.problem}: {out}")
    _print_summary(results, written)
    return 0


def _list(args) -> int:
    from pinnfield.problems import REGISTRY

    width = max(len(n) for n in REGISTRY)
    for name, summary in sorted(REGISTRY.items()):
        print(f"{name:<{width}}  {summary}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pinnfield", description="Physics-informed neural fields.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the ready problems").set_defaults(handler=_list)
    for name, handler, text in (("run", _run, "train a ready problem and write results"),
                                ("validate", _validate, "compare a solution with its references")):
        command = commands.add_parser(name, help=text)
        command.add_argument("problem", help="a name from 'pinnfield list'")
        command.add_argument("--out", help="output folder (default runs/PROBLEM)")
        command.add_argument("--steps", type=int, help="Adam steps (default: the problem's)")
        command.add_argument("--lbfgs-steps", type=int, help="L-BFGS iterations after Adam (default: the problem's)")
        command.add_argument("--lbfgs-resample-every", type=int, metavar="K",
                             help="L-BFGS in rounds of K iterations, each on a new draw of points "
                                  "(default: the problem's)")
        command.add_argument("--weighting", choices=sorted(weighting.NAMES),
                             help="adaptive loss weights: lra, relobralo (Adam steps), ntk (Adam steps and "
                                  "L-BFGS rounds), heldout (L-BFGS rounds) (default: the problem's)")
        command.add_argument("--sampling", choices=list(sampling.NAMES),
                             help="how points are drawn: uniform, sobol, or adaptive: rard (RAR-D), r3 "
                                  "(default: the problem's)")
        command.add_argument("--device", help="auto, cpu, cuda or cuda:N (default auto)")
        command.add_argument("--compile", action="store_true",
                             help="compile the sine layers' derivative kernels with torch.compile (faster steps "
                                  "after seconds of compiling; for long runs)")
        command.add_argument("--seed", type=int, help="random seed (default 0)")
        command.add_argument("--data", help="data file or folder for data-driven problems")
        command.add_argument("--quiet", action="store_true", help="no progress bar")
        command.add_argument("--paper", action="store_true",
                             help="data-fitting problems: train at the paper's scale (a GPU run)")
        if name == "validate":
            command.add_argument("--retrain", action="store_true", help="train even if --out has a solution")
        else:
            command.add_argument("--checkpoint-every", type=int, default=CHECKPOINT_EVERY,
                                 help=f"steps between checkpoints in OUT/{CHECKPOINT} (default "
                                      f"{CHECKPOINT_EVERY}; 0: none)")
            command.add_argument("--resume", metavar="DIR",
                                 help=f"continue the run whose {CHECKPOINT} is in DIR (its --out folder)")
            command.add_argument("--nproc", type=int, metavar="N",
                                 help="train on N processes of this machine (torchrun; one per GPU on CUDA)")
        command.set_defaults(handler=handler)
    return parser


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    args.argv = argv
    try:
        return args.handler(args)
    except PinnfieldError as error:
        print(f"pinnfield: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        from pinnfield.train import distributed

        if distributed.is_main():
            print("pinnfield: interrupted" + (f"; {interrupt}" if str(interrupt) else ""), file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
