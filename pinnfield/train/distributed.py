"""Data-parallel training on torch.distributed: ``fit(..., distributed=...)`` under torchrun.

W processes (ranks) train one model. Every step, rank r draws its share n_r of each term's n
points (n_r = n // W, one more on the first n mod W ranks) from its own sampling stream of the
run's seed; a fixed point set taken whole (``pf.Points`` with ``n=None``) is split into W
contiguous shards instead, so the ranks together see exactly the single-process batch. Rank r
scales term i's loss by s_ri = W n_ri / n_i, so that DistributedDataParallel's average of the
gradients over the ranks is the gradient of the loss on the whole batch of n points, and the
term losses recorded in the history are the all-reduced means (the same numbers on every
rank). Adaptive weights (:mod:`pinnfield.weighting`) are computed from all-reduced
statistics, so they, the optimiser's state and the learned parameters stay identical on all
ranks. Only rank 0 writes checkpoints, metrics, figures and exports.

The process group comes from the environment torchrun sets (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``), or is one the caller has initialised. The
backend is NCCL when the training device is CUDA (rank r on ``cuda:LOCAL_RANK``) and gloo
otherwise. A rank that fails makes torchrun stop the others.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import gc
import os

import numpy as np
import torch
import torch.distributed as dist

from ..errors import DataError, OptionError

__all__ = ["Context", "SINGLE", "launched", "start", "current", "share", "shard", "is_main", "rank", "world_size",
           "data_parallel", "sharing", "serve_evaluations", "SharedSolution"]

ENVIRONMENT = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
"""The variables torchrun sets that a process group is initialised from."""


@dataclasses.dataclass(frozen=True)
class Context:
    """This process's place in a run: ``world`` ranks, this one ``rank`` (``local_rank`` on its
    machine), collectives on ``device`` (CPU for gloo, this rank's GPU for NCCL)."""

    world: int = 1
    rank: int = 0
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def main(self) -> bool:
        """Whether this rank writes files (rank 0)."""
        return self.rank == 0

    def mean(self, tensor: torch.Tensor) -> torch.Tensor:
        """The mean of ``tensor`` over the ranks (a new tensor on its device and dtype)."""
        if self.world == 1:
            return tensor
        total = tensor.detach().to(self.device, copy=True)
        dist.all_reduce(total)
        return (total / self.world).to(tensor.device)

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` is true on any rank."""
        if self.world == 1:
            return bool(flag)
        value = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item() > 0)

    def barrier(self) -> None:
        """Wait until every rank gets here."""
        self.any(False)

    def gather(self, value) -> list:
        """``value`` (picklable) of every rank, in rank order, on every rank."""
        if self.world == 1:
            return [value]
        out = [None] * self.world
        dist.all_gather_object(out, value)
        return out

    def stream(self, seed: int, index: int, start: int) -> np.random.SeedSequence:
        """The seed of sampling stream ``index`` on this rank, for streams started after ``start``
        steps (a resumed run on another number of ranks starts new ones)."""
        return np.random.SeedSequence(int(seed), spawn_key=(index, self.world, self.rank, start))


SINGLE = Context()
"""One process, no process group."""


def launched() -> bool:
    """Whether this process is one of several ranks: started by torchrun with ``WORLD_SIZE`` > 1,
    or in a process group of more than one rank."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size() > 1
    try:
        return int(os.environ.get("WORLD_SIZE", "1")) > 1
    except ValueError:
        return False


def _environment_int(name: str) -> int:
    value = os.environ.get(name)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DataError(
            f"The environment variable {name}={value!r} is not an integer; torchrun sets it. Start "
            "the run with torchrun (or 'pinnfield run NAME --nproc N') instead of setting it by hand."
        ) from None


def _from_environment() -> tuple[int, int, int]:
    missing = [name for name in ENVIRONMENT if name not in os.environ]
    if missing:
        raise DataError(
            f"fit(distributed=True) needs a process group, but {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set. Start the script with torchrun "
            "(torchrun --nproc-per-node N script.py), use 'pinnfield run NAME --nproc N', or "
            "call torch.distributed.init_process_group first."
        )
    world, rank = _environment_int("WORLD_SIZE"), _environment_int("RANK")
    local_rank = _environment_int("LOCAL_RANK") if "LOCAL_RANK" in os.environ else rank
    if world < 1 or not 0 <= rank < world:
        raise DataError(
            f"The environment gives RANK={rank} and WORLD_SIZE={world}; a rank must be in [0, "
            "WORLD_SIZE). Every process of the run must be started by the same torchrun command."
        )
    return world, rank, local_rank


def _rank_device(device: torch.device, local_rank: int) -> torch.device:
    """CUDA without an index means this rank's GPU, ``cuda:LOCAL_RANK``."""
    if device.type != "cuda" or device.index is not None:
        return device
    count = torch.cuda.device_count()
    if local_rank >= count:
        raise DataError(
            f"Rank with LOCAL_RANK={local_rank} has no GPU of its own: this machine has {count}. "
            f"Start at most {count} processes per machine (--nproc {count}), or train on the CPU "
            "(--device cpu)."
        )
    return torch.device("cuda", local_rank)


def start(distributed, device: torch.device) -> tuple[Context, torch.device]:
    """This process's :class:`Context` and training device from fit's ``distributed`` (None:
    :func:`launched`) and its resolved ``device``; initialises the process group if needed."""
    if distributed is None:
        distributed = launched()
    if not isinstance(distributed, bool):
        raise OptionError(f"fit distributed must be True, False or None (automatic); received {distributed!r}.")
    if not distributed:
        return SINGLE, device
    if not dist.is_available():
        raise DataError("This torch build has no torch.distributed; train with distributed=False.")
    if dist.is_initialized():
        world, rank = dist.get_world_size(), dist.get_rank()
        local_rank = int(os.environ.get("LOCAL_RANK", rank))
        device = _rank_device(device, local_rank)
        if dist.get_backend() == "nccl" and device.type != "cuda":
            raise DataError(
                f"The process group uses NCCL, which needs CUDA tensors, but the training device is "
                f"{device}. Train on CUDA, or initialise the group with backend='gloo'."
            )
    else:
        world, rank, local_rank = _from_environment()
        if world == 1:
            return SINGLE, device
        device = _rank_device(device, local_rank)
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        atexit.register(_destroy)
    if world == 1:
        return SINGLE, device
    collectives = device if dist.get_backend() == "nccl" else torch.device("cpu")
    return Context(world, rank, local_rank, collectives), device


def _destroy() -> None:
    """Release the process group this module made while the interpreter is alive: gloo's threads
    and the DDP reducers' pending work would otherwise be torn down during finalisation."""
    if dist.is_initialized():
        gc.collect()
        dist.destroy_process_group()


def current() -> Context:
    """The :class:`Context` of the process group this process is in (:data:`SINGLE` if none)."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return SINGLE
    rank = dist.get_rank()
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    collectives = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else \
        torch.device("cpu")
    return Context(dist.get_world_size(), rank, local_rank, collectives)


def rank() -> int:
    """This process's rank (0 without a process group)."""
    return current().rank


def world_size() -> int:
    """The number of ranks (1 without a process group)."""
    return current().world


def is_main() -> bool:
    """Whether this process is rank 0, the one that writes files (True without a process group)."""
    return current().main


def share(n: int, context: Context) -> int:
    """Rank ``context.rank``'s part of n points: n // W, plus one on the first n mod W ranks."""
    return n // context.world + (context.rank < n % context.world)


def shard(n: int, context: Context) -> slice:
    """The contiguous rows of n that are this rank's, sized by :func:`share`."""
    base, extra = divmod(n, context.world)
    begin = context.rank * base + min(context.rank, extra)
    return slice(begin, begin + share(n, context))


class _Objective(torch.nn.Module):
    """The term losses of a batch as a module, for DistributedDataParallel to wrap: it holds the
    networks and the learned parameters, and ``forward(batches)`` is ``losses(batches)``."""

    def __init__(self, modules, learned, losses):
        super().__init__()
        self.fields = torch.nn.ModuleList(modules)
        self.learned = torch.nn.ParameterList(learned)
        self.losses = losses

    def forward(self, batches):
        return self.losses(batches)


def data_parallel(modules, learned, losses, context: Context, device: torch.device):
    """``losses`` (batches -> list of term losses) with its gradients averaged over the ranks by
    DistributedDataParallel; ``losses`` itself in a single process."""
    if context.world == 1:
        return losses
    objective = _Objective(modules, learned, losses)
    if not any(p.requires_grad for p in objective.parameters()):
        return losses
    return _DataParallel(objective, device)


class _DataParallel:
    """Calls ``objective`` through DistributedDataParallel, made at the first call: a first
    evaluation outside it finds whether every parameter reaches the losses, so that DDP looks for
    unused parameters at every step only where some are."""

    def __init__(self, objective: _Objective, device: torch.device):
        self.objective, self.device, self.wrapped = objective, device, None

    def __call__(self, batches):
        if self.wrapped is None:
            reached = _leaves(self.objective(batches))
            unused = any(p.requires_grad and p not in reached for p in self.objective.parameters())
            self.wrapped = torch.nn.parallel.DistributedDataParallel(
                self.objective, device_ids=[self.device.index] if self.device.type == "cuda" else None,
                find_unused_parameters=unused)
        return self.wrapped(batches)


def _leaves(outputs) -> set:
    """The leaf tensors the autograd graph of ``outputs`` (a list of tensors) reaches."""
    found, seen = set(), set()
    stack = [t.grad_fn for t in outputs if t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if hasattr(node, "variable"):
            found.add(node.variable)
        stack.extend(child for child, _ in node.next_functions)
    return found


_STOP = "stop"


def _evaluate_share(solution, expr, points: np.ndarray, chunk: int, context: Context) -> np.ndarray | None:
    """This rank's rows of ``solution.evaluate(expr, points)``, gathered; the whole (N,) on rank 0."""
    sizes = [share(points.shape[0], Context(context.world, r)) for r in range(context.world)]
    values = solution.evaluate(expr, points[shard(points.shape[0], context)], chunk)
    padded = torch.zeros(sizes[0], dtype=torch.float64, device=context.device)  # all_gather takes equal sizes
    padded[:len(values)] = torch.from_numpy(values)
    pieces = [torch.empty_like(padded) for _ in range(context.world)]
    dist.all_gather(pieces, padded)
    if not context.main:
        return None
    return torch.cat([p[:s] for p, s in zip(pieces, sizes)]).cpu().numpy()


class SharedSolution:
    """A solution whose :meth:`evaluate` splits the points over the ranks of the process group
    (which run :func:`serve_evaluations` meanwhile); everything else is the solution's own."""

    def __init__(self, solution, context: Context):
        self.solution, self.context = solution, context

    def evaluate(self, expr, points, chunk: int = 65536) -> np.ndarray:
        """``solution.evaluate(expr, points, chunk)`` computed by all ranks together."""
        self.solution.lower(expr, "Solution.evaluate")
        points = self.solution.check_points(points)
        dist.broadcast_object_list([(expr, points.shape, chunk)], src=0)
        full = torch.from_numpy(np.ascontiguousarray(points, dtype=np.float64)).to(self.context.device)
        dist.broadcast(full, src=0)
        return _evaluate_share(self.solution, expr, points, chunk, self.context)

    def __getattr__(self, name):
        return getattr(self.solution, name)


@contextlib.contextmanager
def sharing(solution):
    """On rank 0 of a process group: yields a :class:`SharedSolution` whose ``evaluate`` splits its
    points over the ranks, which run :func:`serve_evaluations` meanwhile. Elsewhere: yields
    ``solution`` itself."""
    context = current()
    if context.world == 1 or not context.main:
        yield solution
        return
    try:
        yield SharedSolution(solution, context)
    finally:
        dist.broadcast_object_list([_STOP], src=0)


def serve_evaluations(solution) -> None:
    """On ranks other than 0: evaluate this rank's share of every ``solution.evaluate`` that rank 0
    makes inside :func:`sharing`, until it leaves the block."""
    context = current()
    if context.main:
        return
    while True:
        request = [None]
        dist.broadcast_object_list(request, src=0)
        if request[0] == _STOP:
            return
        expr, shape, chunk = request[0]
        full = torch.empty(shape, dtype=torch.float64, device=context.device)
        dist.broadcast(full, src=0)
        _evaluate_share(solution, expr, full.cpu().numpy(), chunk, context)
