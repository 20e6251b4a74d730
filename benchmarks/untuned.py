"""The untuned suite: problems written as a new user writes them, run with fit's defaults.

Every problem here is written the way the README writes the Poisson square, with nothing tuned:
fields built with default arguments (``pf.Siren(in_dim, out_dim)``), constraints with default
points and weights, and ``pf.fit(problem, seed=seed)`` with no other keyword. The table of
errors and wall times is how fit's and the fields' defaults are chosen: a default changes only
when it helps across this whole suite, not on one problem.

    python benchmarks/untuned.py                         # every problem, seed 0
    python benchmarks/untuned.py --only poisson_disk helmholtz_disk --seeds 0 1 2
    python benchmarks/untuned.py --fit steps=500 --json untuned.json

``--fit key=value`` passes a keyword to fit (a number, a name, or a Python literal) for every
problem, and ``--siren key=value`` one to every ``pf.Siren``, to compare a candidate default with
the shipped one. The error is the
relative L2 error against the exact solution on a grid of the domain (a COMSOL reference for
the four-hole Laplace problem, the relative error of the learned parameter for the inverse one).
"""

from __future__ import annotations

import argparse
import ast
import functools
import os
import sys
import time

import numpy as np
import sympy as sp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import pinnfield as pf  # noqa: E402
from untuned_problems import PROBLEMS  # noqa: E402


def fit_keywords(pairs: list[str]) -> dict:
    """``key=value`` strings to fit keywords (values as Python literals where they parse)."""
    keywords = {}
    for pair in pairs:
        key, _, text = pair.partition("=")
        try:
            keywords[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            keywords[key] = text
    return keywords


def run_case(name: str, seed: int, keywords: dict, field_options: dict) -> dict:
    """Build problem ``name`` with fields ``pf.Siren(in_dim, out_dim, **field_options)``, fit it
    with ``keywords`` and return its error and wall time."""
    case = PROBLEMS[name](functools.partial(pf.Siren, **field_options))
    started = time.perf_counter()
    try:
        solution = pf.fit(case.problem, seed=seed, progress=False, **keywords)
    except pf.TrainingError as error:
        return {"problem": name, "seed": seed, "error": float("nan"), "seconds": time.perf_counter() - started,
                "failed": str(error)}
    seconds = time.perf_counter() - started
    return {"problem": name, "seed": seed, "error": case.error(solution), "target": case.target,
            "metric": case.metric, "seconds": seconds, "steps": solution.info["steps"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help=f"problems to run (default all: {', '.join(PROBLEMS)})")
    parser.add_argument("--seeds", nargs="*", type=int, default=[0], help="seeds (default 0)")
    parser.add_argument("--fit", nargs="*", default=[], metavar="KEY=VALUE", help="keywords passed to pf.fit")
    parser.add_argument("--siren", nargs="*", default=[], metavar="KEY=VALUE",
                        help="keywords of every pf.Siren (e.g. omega0=30 omega_hidden=30)")
    parser.add_argument("--json", default=None, help="write the rows to this JSON file")
    args = parser.parse_args()
    names = args.only or list(PROBLEMS)
    unknown = [n for n in names if n not in PROBLEMS]
    if unknown:
        parser.error(f"unknown problem(s) {unknown}; choose from {list(PROBLEMS)}")
    keywords, field_options = fit_keywords(args.fit), fit_keywords(args.siren)
    rows = []
    print(f"fit keywords: {keywords or 'the defaults'}; Siren keywords: {field_options or 'the defaults'}")
    print(f"{'problem':<22}{'seed':>5}{'metric':>12}{'error':>11}{'target':>9}{'seconds':>9}")
    for name in names:
        for seed in args.seeds:
            row = run_case(name, seed, keywords, field_options)
            rows.append(row)
            mark = "" if not np.isfinite(row["error"]) or row["error"] > row.get("target", 0) else "  ok"
            print(f"{name:<22}{seed:>5}{row.get('metric', ''):>12}{row['error']:>11.2e}{row.get('target', float('nan')):>9.0e}"
                  f"{row['seconds']:>9.1f}{mark}", flush=True)
    if len(args.seeds) > 1:
        print("\nmean over seeds (min, max)")
        for name in names:
            errors = [r["error"] for r in rows if r["problem"] == name]
            print(f"{name:<22}{np.mean(errors):.2e} ({min(errors):.2e}, {max(errors):.2e})")
    if args.json:
        from pinnfield.io import write_json

        write_json(args.json, {"fit": {k: str(v) for k, v in keywords.items()},
                               "siren": {k: str(v) for k, v in field_options.items()}, "rows": rows,
                               "versions": {"pinnfield": pf.__version__, "sympy": sp.__version__}})


if __name__ == "__main__":
    main()
