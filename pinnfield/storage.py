"""Plain-data forms of what solution and checkpoint files hold, read back without running code.

A file written by :meth:`pinnfield.Solution.save` (and a checkpoint, which is such a file plus a
``"training"`` entry, see :mod:`pinnfield.train.checkpoints`) holds only tensors and plain data (dicts,
lists, tuples, str, int, float, bool, None), so ``torch.load(..., weights_only=True)`` reads it and
unpickles nothing else.

Expressions are stored node by node: a node is a tuple ``(tag, *payload)``, for example
``sin(pi x)`` is ``("sin", (("Mul", (("Pi",), ("Symbol", "x", (("commutative", True),)))),))``.
Only the node types of :data:`NODE_TYPES` are written or read; each is rebuilt by its own sympy
constructor (never by ``sympify``, ``eval`` or a parser), and any other tag in a file is a
:class:`~pinnfield.errors.CheckpointError`. Names of symbols and functions must be identifiers
(no leading ``__``; functions not named like a Python builtin), since ``lambdify`` prints them as
code.

Network classes are looked up by name in :data:`FIELD_CLASSES` (fixed here, never a module
named by the file) or in the ``fields=`` mapping given to :meth:`pinnfield.Solution.load`.
"""

from __future__ import annotations

import builtins
import importlib
import keyword
import os
import pickle
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

import sympy as sp
import torch
from sympy.core.function import AppliedUndef, UndefinedFunction
from sympy.functions.elementary.piecewise import ExprCondPair

from .fields.encodings import AbstractEncoding, encoding_from_config
from .errors import CheckpointError, DataError, OptionError
from .fields.base import AbstractField
from .symbolic import Parameter

__all__ = [
    "SOLUTION_FORMAT", "TRAINING_ONLY_FORMAT", "NODE_TYPES", "FIELD_CLASSES", "expression_to_data",
    "expression_from_data", "pairs_from_data", "config_to_data", "config_from_data", "field_class",
    "is_saveable", "check_fields", "fields_to_data", "fields_from_data", "read_file",
]

SOLUTION_FORMAT = "pinnfield.solution/2"
"""The format tag of a solution file: expressions and field configs in the plain-data form above."""

CODE_FORMATS = ("pinnfield.solution/1",)
"""Earlier solution formats, whose expressions were Python text; refused, never parsed."""

TRAINING_ONLY_FORMAT = "pinnfield.checkpoint/1"
"""A checkpoint whose fields cannot be saved as a solution: only its ``"training"`` entry."""

SOLUTION_KEYS = MappingProxyType({
    "coords": list, "fields": list, "constants": list, "exact": list, "parameters": dict,
    "history": dict, "info": dict, "derivatives": str,
})
"""The entries of a solution file and the type of each."""

ASSUMPTIONS = frozenset((
    "algebraic", "antihermitian", "commutative", "complex", "composite", "even", "extended_negative",
    "extended_nonnegative", "extended_nonpositive", "extended_nonzero", "extended_positive",
    "extended_real", "finite", "hermitian", "imaginary", "infinite", "integer", "irrational",
    "negative", "noninteger", "nonnegative", "nonpositive", "nonzero", "odd", "polar", "positive",
    "prime", "rational", "real", "transcendental", "zero",
))
"""sympy's assumption names, the only keys a stored symbol or function may carry."""

CONSTANTS = MappingProxyType({type(c).__name__: c for c in (
    sp.pi, sp.E, sp.I, sp.oo, -sp.oo, sp.zoo, sp.nan, sp.true, sp.false)})
"""Singleton nodes, stored as ``(tag,)``."""

OPERATIONS = MappingProxyType({cls.__name__: cls for cls in (
    sp.Add, sp.Mul, sp.Pow, sp.sin, sp.cos, sp.tan, sp.cot, sp.sec, sp.csc, sp.exp, sp.log, sp.Abs,
    sp.sign, sp.sinh, sp.cosh, sp.tanh, sp.asin, sp.acos, sp.atan, sp.atan2, sp.asinh, sp.acosh,
    sp.atanh, sp.Heaviside, sp.Min, sp.Max, sp.re, sp.im, sp.conjugate, sp.erf, sp.erfc, sp.besselj,
    sp.bessely, sp.hankel1, sp.hankel2, sp.Piecewise, ExprCondPair, sp.Eq, sp.Ne, sp.Lt, sp.Le, sp.Gt,
    sp.Ge, sp.And, sp.Or, sp.Not, sp.Tuple)})
"""Nodes stored as ``(tag, (child, ...))`` and rebuilt as ``cls(*children, evaluate=False)``."""

LEAVES = ("Symbol", "Parameter", "Integer", "Rational", "Float", "Function", "Derivative")
"""Nodes with their own payload (see :func:`expression_to_data`)."""

NODE_TYPES = tuple(sorted(LEAVES + tuple(CONSTANTS) + tuple(OPERATIONS)))
"""Every node type a solution file may hold."""

FIELD_CLASSES = MappingProxyType({
    "Siren": "pinnfield.fields.siren",
    "MLP": "pinnfield.fields.mlp",
    "PirateNet": "pinnfield.fields.piratenet",
    "NeRFField": "pinnfield.problems.nerf.model",
})
"""Saved class name -> the pinnfield module defining it: pinnfield's fields with a ``config()``."""

MAX_PRECISION = 100_000
"""Largest binary precision of a stored Float."""


def _checked_name(name, kind: str, error: type, where: str) -> str:
    """``name`` if it is safe to print as code: an identifier, no keyword, no leading ``__``, and
    for a function no builtin's name (checked in the NFKC form Python reads identifiers in)."""
    plain = unicodedata.normalize("NFKC", name) if isinstance(name, str) else ""
    ok = (plain.isidentifier() and not keyword.iskeyword(plain) and not plain.startswith("__")
          and not (kind == "function" and hasattr(builtins, plain)))
    if not ok:
        raise error(
            f"{where} has a {kind} named {name!r}; pinnfield stores only names that are Python "
            "identifiers, not keywords, not starting with '__' (and for functions not a builtin's "
            "name). Rename it."
        )
    return name


def _assumptions(items, error: type, where: str) -> dict:
    items = tuple(items)
    if not all(isinstance(p, (tuple, list)) and len(p) == 2 and p[0] in ASSUMPTIONS
               and (p[1] is None or isinstance(p[1], bool)) for p in items):
        raise error(f"{where} has assumptions {_short(items)}; expected (name, True/False/None) pairs of sympy "
                    "assumptions.")
    return dict(items)


def expression_to_data(expr, what: str = "the expression"):
    """A sympy expression as nested tuples of str, int, float and bool (see the module docstring).

    DataError naming the node if ``expr`` holds a node type outside :data:`NODE_TYPES`.
    """
    try:
        node = sp.sympify(expr, strict=True)
    except sp.SympifyError:
        raise DataError(f"{what} is a {type(expr).__name__} ({_short(expr)}), not a sympy expression.") from None
    kind = type(node)
    if kind is Parameter:
        return ("Parameter", _checked_name(node.name, "symbol", DataError, what), node.init, node.bounds)
    if kind is sp.Symbol:
        return ("Symbol", _checked_name(node.name, "symbol", DataError, what),
                tuple(sorted(getattr(node, "_assumptions_orig", node.assumptions0).items())))
    if isinstance(node, sp.Integer):
        return ("Integer", int(node))
    if isinstance(node, sp.Rational):
        return ("Rational", int(node.p), int(node.q))
    if kind is sp.Float:
        return ("Float", tuple(int(v) for v in node._mpf_), int(node._prec))
    if isinstance(node, AppliedUndef):
        assumptions = tuple(sorted((k, v) for k, v in getattr(node.func, "_kwargs", {}).items()))
        return ("Function", _checked_name(node.func.__name__, "function", DataError, what),
                tuple(sorted(_assumptions(assumptions, DataError, what).items())),
                tuple(expression_to_data(a, what) for a in node.args))
    if kind is sp.Derivative:
        return ("Derivative", expression_to_data(node.expr, what),
                tuple((expression_to_data(v, what), int(n)) for v, n in node.variable_count))
    name = kind.__name__
    if CONSTANTS.get(name) is node:
        return (name,)
    if OPERATIONS.get(name) is kind:
        return (name, tuple(expression_to_data(a, what) for a in node.args))
    raise DataError(
        f"{what} holds a sympy {name} node ({node}), which a solution file cannot store; the "
        f"stored node types are {', '.join(NODE_TYPES)}. Rewrite it with those, or leave it out."
    )


def expression_from_data(data, source: str = "the data"):
    """The sympy expression stored by :func:`expression_to_data`, rebuilt from the fixed node
    types only; CheckpointError naming ``source`` for anything else. Nothing is evaluated."""
    try:
        return _node_from_data(data, source)
    except RecursionError:
        raise CheckpointError(f"{source} holds an expression nested too deeply to read; the file is damaged.") from None


def _refuse(source: str, problem: str) -> CheckpointError:
    return CheckpointError(
        f"{source} {problem}; nothing in it was run. Expected a file written by Solution.save of "
        f"this pinnfield version, whose expression nodes are {', '.join(NODE_TYPES)}."
    )


def _node_from_data(data, source: str):
    if not isinstance(data, (tuple, list)) or not data or not isinstance(data[0], str):
        raise _refuse(source, f"holds an expression entry {_short(data)} that is not a (type, ...) node")
    tag, payload = data[0], tuple(data[1:])
    if tag in CONSTANTS and not payload:
        return CONSTANTS[tag]
    if tag in OPERATIONS and len(payload) == 1 and isinstance(payload[0], (tuple, list)):
        children = [_node_from_data(child, source) for child in payload[0]]
        cls = OPERATIONS[tag]
        return _built(source, tag, lambda: cls(*children) if cls is ExprCondPair else cls(*children, evaluate=False))
    if tag in LEAVES:
        return _leaf_from_data(tag, payload, source)
    if tag in CONSTANTS or tag in OPERATIONS:
        raise _refuse(source, f"holds a malformed {tag} node {_short(data)}")
    raise _refuse(source, f"holds an expression node of type {_short(tag)}, which pinnfield does not read")


def _built(source: str, tag: str, build):
    try:
        return build()
    except (TypeError, ValueError, AttributeError, ArithmeticError) as error:
        raise _refuse(source, f"holds a {tag} node that cannot be rebuilt ({error})") from None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _leaf_from_data(tag: str, payload: tuple, source: str):
    where = f"{source} ({tag} node)"
    if tag == "Symbol" and len(payload) == 2:
        name = _checked_name(payload[0], "symbol", CheckpointError, where)
        return sp.Symbol(name, **_assumptions(payload[1], CheckpointError, where))
    if tag == "Parameter" and len(payload) == 3 and isinstance(payload[1], float):
        name = _checked_name(payload[0], "symbol", CheckpointError, where)
        bounds = payload[2]
        if bounds is not None and not (isinstance(bounds, (tuple, list)) and len(bounds) == 2
                                       and all(isinstance(b, float) for b in bounds)):
            raise _refuse(source, f"holds Parameter {name!r} with bounds {_short(bounds)}")
        return _built(source, tag, lambda: Parameter(name, init=payload[1], bounds=bounds))
    if tag == "Integer" and len(payload) == 1 and _is_int(payload[0]):
        return sp.Integer(payload[0])
    if tag == "Rational" and len(payload) == 2 and all(map(_is_int, payload)) and payload[1] > 0:
        return sp.Rational(payload[0], payload[1])
    if tag == "Float" and len(payload) == 2 and _is_int(payload[1]) and 0 < payload[1] <= MAX_PRECISION:
        mpf = payload[0]
        if isinstance(mpf, (tuple, list)) and len(mpf) == 4 and all(map(_is_int, mpf)) and mpf[0] in (0, 1):
            return _built(source, tag, lambda: sp.Float(tuple(mpf), precision=payload[1]))
    if tag == "Function" and len(payload) == 3 and isinstance(payload[2], (tuple, list)):
        name = _checked_name(payload[0], "function", CheckpointError, where)
        function = UndefinedFunction(name, **_assumptions(payload[1], CheckpointError, where))
        arguments = [_node_from_data(a, source) for a in payload[2]]
        return _built(source, tag, lambda: function(*arguments))
    if tag == "Derivative" and len(payload) == 2 and isinstance(payload[1], (tuple, list)):
        expr = _node_from_data(payload[0], source)
        counts = payload[1]
        if not all(isinstance(c, (tuple, list)) and len(c) == 2 and _is_int(c[1]) and c[1] > 0 for c in counts):
            raise _refuse(source, f"holds a Derivative with variable counts {_short(counts)}")
        variables = [(_node_from_data(v, source), n) for v, n in counts]
        return _built(source, tag, lambda: sp.Derivative(expr, *variables, evaluate=False))
    raise _refuse(source, f"holds a malformed {tag} node {_short((tag,) + payload)}")


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else "no detail"


def _short(value, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def pairs_from_data(entries, source: str) -> dict:
    """``{key: value}`` from a list of stored (key, value) expression pairs."""
    if not all(isinstance(e, (tuple, list)) and len(e) == 2 for e in entries):
        raise _refuse(source, "holds a constants or exact entry that is not a (key, value) pair")
    return {expression_from_data(k, source): expression_from_data(v, source) for k, v in entries}


def config_to_data(value, what: str = "the field config"):
    """A field's ``config()`` value as tagged plain data: ``("value", x)`` for None, bool, int,
    float and str; ``("list" | "tuple", items)``; ``("dict", ((key, item), ...))``;
    ``("expression", expression data)``; ``("encoding", config)`` for an input encoding."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return ("value", value)
    if isinstance(value, sp.Basic):
        return ("expression", expression_to_data(value, what))
    if isinstance(value, AbstractEncoding):
        return ("encoding", config_to_data(value.config(), what))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(config_to_data(v, what) for v in value))
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return ("dict", tuple((k, config_to_data(v, what)) for k, v in value.items()))
    raise DataError(
        f"{what} holds a {type(value).__name__} ({_short(value)}), which a solution file cannot "
        "store; expected numbers, strings, booleans, None, sympy expressions, encodings, and lists, "
        "tuples and str-keyed dicts of those."
    )


def config_from_data(data, source: str):
    """The value stored by :func:`config_to_data`; CheckpointError for anything else."""
    tag, payload = data if isinstance(data, (tuple, list)) and len(data) == 2 else (None, None)
    if tag == "value" and (payload is None or isinstance(payload, (bool, int, float, str))):
        return payload
    if tag == "expression":
        return expression_from_data(payload, source)
    if tag == "encoding":
        config = config_from_data(payload, source)
        try:
            return encoding_from_config(config)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise _refuse(source, f"holds an encoding {_short(config)} that cannot be rebuilt ({error!r})") from None
    if tag in ("list", "tuple") and isinstance(payload, (tuple, list)):
        items = [config_from_data(v, source) for v in payload]
        return items if tag == "list" else tuple(items)
    if tag == "dict" and isinstance(payload, (tuple, list)) and all(
            isinstance(p, (tuple, list)) and len(p) == 2 and isinstance(p[0], str) for p in payload):
        return {k: config_from_data(v, source) for k, v in payload}
    raise _refuse(source, f"holds a field config entry {_short(data)} of no known form")


def is_saveable(module) -> bool:
    """Whether a network can be saved: a pinnfield field that states its constructor arguments."""
    return isinstance(module, AbstractField) and type(module).config is not AbstractField.config


def field_class(name, source: str, fields: Mapping | None = None) -> type:
    """The class of a saved field: ``fields[name]`` if given, else pinnfield's own from
    :data:`FIELD_CLASSES`; CheckpointError naming the class and the fix otherwise."""
    if fields and name in fields:
        return fields[name]
    if name in FIELD_CLASSES:
        return getattr(importlib.import_module(FIELD_CLASSES[name]), name)
    shown = name if isinstance(name, str) and name.isidentifier() else "MyField"
    raise CheckpointError(
        f"{source} holds a field of class {_short(name)}, which Solution.load does not know; it "
        f"rebuilds {', '.join(FIELD_CLASSES)} and the classes passed as fields=. If it is your own "
        f"field class, pass it: pf.Solution.load(path, fields={{'{shown}': {shown}}})."
    )


def check_fields(fields) -> dict:
    """``fields=`` of :meth:`Solution.load`: ``{saved class name: AbstractField subclass}``."""
    if fields is None:
        return {}
    ok = isinstance(fields, Mapping) and all(
        isinstance(k, str) and isinstance(v, type) and issubclass(v, AbstractField) for k, v in fields.items())
    if not ok:
        raise OptionError(
            f"Solution.load fields must map saved class names to pinnfield field classes, such as "
            f"fields={{'MyField': MyField}} with MyField a subclass of pf.AbstractField; received {_short(fields)}."
        )
    return dict(fields)


def fields_to_data(modules, functions) -> list[dict]:
    """Every network as ``{"class", "config", "functions", "state"}`` (tensors on CPU)."""
    entries = []
    for module, fs in zip(modules, functions):
        name = type(module).__name__
        if not is_saveable(module):
            raise DataError(
                f"Cannot save a field of type {name}: only fields with a config() (Siren, MLP, PirateNet, "
                "NeRFField, or your own pf.AbstractField subclass defining config()) can be rebuilt "
                "by Solution.load. Save its state_dict yourself."
            )
        if name in FIELD_CLASSES and field_class(name, "") is not type(module):
            raise DataError(
                f"Cannot save a field of class {type(module).__qualname__} from {type(module).__module__}: "
                f"its name is that of pinnfield's {name}, which Solution.load would build instead. Rename the class."
            )
        where = f"The config of the {name} field for {', '.join(map(str, fs))}"
        entries.append({
            "class": name,
            "config": config_to_data(module.config(), where),
            "functions": [expression_to_data(f, f"The field {f}") for f in fs],
            "state": {k: v.detach().cpu() for k, v in module.state_dict().items()},
        })
    return entries


def fields_from_data(entries, source: str, device, fields: Mapping | None = None) -> tuple[list, list]:
    """The networks (on ``device``, in their saved dtype) and the functions each represents."""
    fields = check_fields(fields)
    if not entries:
        raise _refuse(source, "holds no fields")
    modules, functions = [], []
    for entry in entries:
        ok = isinstance(entry, dict) and {"class", "config", "functions", "state"} <= entry.keys()
        if not (ok and isinstance(entry["state"], dict) and entry["state"]
                and all(isinstance(v, torch.Tensor) for v in entry["state"].values())
                and isinstance(entry["functions"], (list, tuple))):
            raise _refuse(source, "holds a field entry without class, config, functions and a state of tensors")
        cls = field_class(entry["class"], source, fields)
        config = config_from_data(entry["config"], source)
        if not isinstance(config, dict):
            raise _refuse(source, f"holds a {cls.__name__} config that is not a dict")
        try:
            module = cls(**config)
            module.load_state_dict(entry["state"])
        except (TypeError, ValueError, RuntimeError, KeyError) as error:
            raise CheckpointError(
                f"{source}: the saved {cls.__name__} field cannot be rebuilt from its config and "
                f"weights ({error}); the file is damaged or was written for another class of that name."
            ) from None
        dtype = next(iter(entry["state"].values())).dtype
        modules.append(module.to(device=device, dtype=dtype))
        functions.append(tuple(expression_from_data(f, source) for f in entry["functions"]))
    return modules, functions


READERS = MappingProxyType({
    "solution": ("No saved solution at {path!r}; expected a file written by Solution.save.",
                 SOLUTION_KEYS),
    "checkpoint": ("No checkpoint at {path!r}; expected a file written by fit(..., checkpoint=PATH) "
                   "(pinnfield run writes OUT/checkpoint.pt). Check the path, or start without resume=.",
                   MappingProxyType({"training": dict})),
})
"""What :func:`read_file` reads: the message for a missing file, and the entries it must hold."""


def read_file(path, what: str) -> dict:
    """The dict in the solution (``what="solution"``) or checkpoint (``"checkpoint"``) file at
    ``path``, read by ``torch.load(weights_only=True)`` on the CPU. CheckpointError naming the
    path and the problem if the file is missing, unreadable, not a dict, of another format, or
    lacks an entry. A checkpoint's ``"training"`` entry is plain data in every format, so older
    checkpoints still resume."""
    missing, keys = READERS[what]
    if not os.path.isfile(path):
        raise CheckpointError(missing.format(path=path))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        detail = _first_line(str(error).split("WeightsUnpickler error:")[-1])
        raise CheckpointError(
            f"{path!r} is not a pinnfield {what} file: it holds objects other than tensors and plain "
            f"data ({detail}), which pinnfield does not load; nothing in it was run."
        ) from None
    except Exception as error:  # torch.load raises RuntimeError, EOFError, OSError... on a bad file
        raise CheckpointError(f"{path!r} is not a pinnfield {what} file ({_first_line(repr(error))}).") from None
    if not isinstance(state, dict):
        raise CheckpointError(
            f"{path!r} is not a pinnfield {what} file (it holds a {type(state).__name__}, not a dict)."
        )
    formats = (SOLUTION_FORMAT,) if what == "solution" else (SOLUTION_FORMAT, TRAINING_ONLY_FORMAT) + CODE_FORMATS
    found = state.get("format")
    if found in CODE_FORMATS and found not in formats:
        raise CheckpointError(
            f"{path!r} is in the old format {found!r}, which stored expressions as Python text that "
            f"loading would run; this version reads only {SOLUTION_FORMAT!r} and does not parse it. "
            "Re-save it with this version: train again (pinnfield validate NAME --retrain, or fit and "
            "Solution.save)."
        )
    if found == TRAINING_ONLY_FORMAT and what == "solution":
        raise CheckpointError(
            f"{path!r} holds only a training state (its fields are not ones Solution.load can rebuild); "
            "continue it with fit(problem, ..., resume=PATH)."
        )
    if found not in formats:
        raise CheckpointError(
            f"{path!r} is not a pinnfield {what} file (format {_short(found)}; expected {formats[0]!r})."
        )
    for key, kind in keys.items():
        if key == "training" and not isinstance(state.get(key), kind):
            raise CheckpointError(
                f"{path!r} holds no training state (it is not a checkpoint written by fit(..., "
                "checkpoint=PATH); a Solution.save file cannot be resumed)."
            )
        if not isinstance(state.get(key), kind):
            raise CheckpointError(
                f"{path!r} is not a complete pinnfield {what} file: its {key!r} entry is "
                f"{'missing' if key not in state else type(state[key]).__name__}, expected a {kind.__name__}."
            )
    return state
