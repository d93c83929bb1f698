"""SymPy ↔ autograd: turn symbolic formulas into PyTorch functions, check derivatives.

A chapter derives a formula with SymPy (a gradient, a Jacobian, a matrix-calculus
identity) and then asks: does PyTorch's autograd, differentiating the same
function numerically, get the same numbers? The three functions here answer that:

- :func:`sympy_to_torch` turns a SymPy expression into a function of torch tensors;
- :func:`check_gradient` compares a scalar expression's gradient (SymPy's, or one
  you derived) with autograd at a point;
- :func:`check_jacobian` does the same for a vector- or matrix-valued function,
  optionally against an independently written torch function.

Both checkers return a :class:`DerivativeCheck` that prints ✅/❌ and is truthy
only when the two agree, so a notebook can ``assert`` it. SymPy and torch are
imported inside the functions: ``import helpers`` stays fast.

Examples
--------
>>> import sympy as sp
>>> x, y = sp.symbols("x y")
>>> check_gradient(sp.sin(x) * y**2, [x, y], [0.5, 2.0])
✅ symbolic and autograd derivatives agree (2 entries, max abs error 0, max rel error 0)
>>> check_gradient(  # doctest: +NORMALIZE_WHITESPACE
...     sp.sin(x) * y**2, [x, y], [0.5, 2.0], gradient=[sp.sin(x) * y**2, 2 * y]
... )
❌ derivatives differ at index (0, 1): symbolic 4, autograd 1.9177
(max abs error 2.08, max rel error 1.09)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .arguments import number
from .checks import Result
from .i18n import Message
from .tensors import to_numpy

__all__ = ["DerivativeCheck", "check_gradient", "check_jacobian", "sympy_to_torch"]


# repr=False: keep Result's ✅/❌ message as the repr
@dataclass(frozen=True, repr=False)
class DerivativeCheck(Result):
    """The outcome of comparing a symbolic derivative with autograd at one point.

    Attributes
    ----------
    symbolic, autograd
        The two derivatives as float arrays of shape ``(outputs, inputs)``.
    max_abs_error, max_rel_error
        Largest absolute difference and largest difference relative to
        ``|autograd|`` (entries where autograd is 0 count with their absolute error).
    passed
        True when every entry satisfies
        ``|symbolic - autograd| <= atol + rtol * |autograd|`` and, if a torch function
        was supplied, its values equal the expression's.
    message
        What :func:`repr` shows: ✅ or ❌ with the numbers, in the notebook's language.
    """

    # ``passed``, ``text`` and ``message`` come from :class:`helpers.checks.Result`,
    # with its truthiness and its ✅/❌ display in notebooks.
    symbolic: np.ndarray
    autograd: np.ndarray
    max_abs_error: float
    max_rel_error: float


def _sympy():
    try:
        import sympy
    except ImportError as error:  # pragma: no cover - sympy is a course requirement
        raise ImportError("helpers.symbolic needs SymPy: pip install sympy") from error
    return sympy


def _coerce_to_tensors(function: Callable) -> Callable:
    """Wrap a torch function so that plain numbers among its arguments become tensors.

    SymPy's torch printer writes e.g. ``sqrt(2)`` or ``where(gt(x, 0), x, 0)``,
    which torch rejects because ``2`` and ``0`` are not tensors.
    """
    import torch

    def wrapper(*args):
        floats = [
            a for a in args if isinstance(a, torch.Tensor) and a.is_floating_point()
        ]
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        dtype = floats[0].dtype if floats else torch.float64
        device = tensors[0].device if tensors else None
        args = [
            a
            if isinstance(a, torch.Tensor)
            else torch.as_tensor(a, dtype=dtype, device=device)
            for a in args
        ]
        return function(*args)

    wrapper.__name__ = getattr(function, "__name__", "wrapped")
    return wrapper


def _check_symbols(
    symbols: Sequence, exprs: Sequence, what: str = "the expression"
) -> list:
    sp = _sympy()
    if isinstance(symbols, sp.Basic) or isinstance(symbols, (str, bytes)):
        raise TypeError(
            "symbols must be a list of SymPy symbols, e.g. [x, y], not a single symbol"
        )
    symbols = list(symbols)
    if not symbols:
        raise ValueError(
            "symbols is empty: name the variables to differentiate with respect to"
        )
    bad = [s for s in symbols if not isinstance(s, sp.Symbol)]
    if bad:
        raise TypeError(
            f"symbols must be SymPy Symbols (sympy.symbols('x y')), got {bad!r}"
        )
    if len(set(symbols)) != len(symbols):
        raise ValueError(f"symbols contains duplicates: {symbols}")
    free = set().union(*(sp.sympify(e).free_symbols for e in exprs)) if exprs else set()
    unknown = free - set(symbols)
    if unknown:
        names = ", ".join(sorted(str(s) for s in unknown))
        raise ValueError(
            f"{what} uses symbol(s) {names} that are not in symbols {symbols}; "
            "add them to symbols or substitute numbers for them first"
        )
    return symbols


def _as_expressions(expr) -> tuple[list, tuple[int, ...]]:
    """A scalar, a list of scalars or a SymPy Matrix →
    (flat list of expressions, shape)."""
    sp = _sympy()
    if isinstance(expr, sp.MatrixBase):
        # also turns an explicit MatrixSymbol expression into entries
        expr = sp.Matrix(expr)
        if expr.shape[0] * expr.shape[1] == 0:
            raise ValueError(
                f"the Matrix is empty (shape {expr.shape}): there is nothing to "
                "differentiate"
            )
        return list(expr), tuple(expr.shape)
    if isinstance(expr, (list, tuple)):
        if not expr:
            raise ValueError(
                "the list of expressions is empty: there is nothing to differentiate"
            )
        flat = [sp.sympify(e) for e in expr]
        if any(isinstance(e, sp.MatrixBase) for e in flat):
            raise TypeError("pass a SymPy Matrix, not a list of matrices")
        return flat, (len(flat),)
    try:
        expr = sp.sympify(expr, strict=True)
    except (sp.SympifyError, TypeError) as error:
        raise TypeError(
            f"expected a SymPy expression, got {type(expr).__name__}"
        ) from error
    return [expr], ()


def _lambdify_torch(symbols: list, expr) -> Callable:
    """``sympy.lambdify`` for torch, with every torch function accepting plain numbers.

    ``lambdify`` documents ``modules=[mapping, "torch"]``: names in ``mapping`` win over
    torch's own. A first pass tells which functions the printed code calls (its code
    object's ``co_names``); the second pass maps exactly those to tensor-coercing
    versions.
    """
    import inspect

    import torch

    sp = _sympy()
    called = sp.lambdify(symbols, expr, modules="torch").__code__.co_names
    coercing = {}
    for name in called:
        function = getattr(torch, name, None)
        if callable(function) and not inspect.isclass(function):
            coercing[name] = _coerce_to_tensors(function)
    return sp.lambdify(symbols, expr, modules=[coercing, "torch"])


def sympy_to_torch(expr, symbols: Sequence) -> Callable:
    """Turn a SymPy expression (or Matrix of them) into a function of torch tensors.

    Parameters
    ----------
    expr
        A SymPy expression, a list of expressions or a SymPy ``Matrix``.
    symbols
        The variables, in the order the returned function takes them.

    Returns
    -------
    callable
        ``f(*tensors)`` with one tensor (or number) per symbol. Inputs broadcast
        against each other; the result has the broadcast shape, followed by the
        matrix's shape for a ``Matrix``. Gradients flow through it (autograd).

    Raises
    ------
    ValueError
        If ``expr`` uses a symbol that is not in ``symbols``.

    Examples
    --------
    >>> import sympy as sp, torch
    >>> x = sp.Symbol("x")
    >>> f = sympy_to_torch(sp.sqrt(2) * x**2, [x])
    >>> f(torch.tensor([1.0, 3.0]))
    tensor([ 1.4142, 12.7279])
    """
    import torch

    flat, shape = _as_expressions(expr)
    symbols = _check_symbols(symbols, flat)
    functions = [_lambdify_torch(symbols, e) for e in flat]

    def as_torch(*args):
        if len(args) != len(symbols):
            raise TypeError(
                f"expected {len(symbols)} argument(s) for {symbols}, got {len(args)}"
            )
        try:
            tensors = [
                a
                if isinstance(a, torch.Tensor)
                else torch.as_tensor(a, dtype=torch.float64)
                for a in args
            ]
        except (TypeError, ValueError, RuntimeError) as error:
            raise TypeError(
                f"the arguments must be numbers, arrays or tensors (one per symbol "
                f"{symbols}), got {[type(a).__name__ for a in args]}"
            ) from error
        floats = [t for t in tensors if t.is_floating_point()]
        dtype = floats[0].dtype if floats else torch.float64
        batch = torch.broadcast_shapes(*(t.shape for t in tensors))
        values = []
        for f in functions:
            value = f(*tensors)
            # a constant, e.g. the derivative of x
            if not isinstance(value, torch.Tensor):
                value = torch.as_tensor(
                    float(value), dtype=dtype, device=tensors[0].device
                )
            values.append(value.expand(batch) if value.shape != batch else value)
        if not shape:
            return values[0]
        return torch.stack(values, dim=-1).reshape(*batch, *shape)

    as_torch.__doc__ = f"torch version of {expr}"
    return as_torch


def _as_point(point, n: int) -> np.ndarray:
    try:
        values = np.asarray(to_numpy(point), dtype=float).reshape(-1)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"point must be a sequence of numbers, got {type(point).__name__}"
        ) from error
    if values.size != n:
        raise ValueError(
            f"point has {values.size} value(s) but there are {n} symbol(s); "
            "give one number per symbol, in the same order"
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(f"point must be finite, got {values}")
    return values


def _evaluate(exprs: list, symbols: list, point: np.ndarray) -> np.ndarray:
    sp = _sympy()
    at = dict(zip(symbols, (sp.Float(v, 30) for v in point), strict=True))
    values = []
    for e in exprs:
        value = sp.sympify(e).subs(at).evalf(30)
        if not value.is_number:
            raise ValueError(
                f"{e} did not evaluate to a number at {at}; if it contains re(), im() "
                "or Derivative, declare the symbols real: sympy.symbols('x y', "
                "real=True)"
            )
        if not value.is_real:
            raise ValueError(
                f"{e} is not real at this point ({value}); choose another point"
            )
        values.append(float(value))
    return np.array(values)


def check_jacobian(
    outputs,
    symbols: Sequence,
    point,
    *,
    jacobian=None,
    torch_fn: Callable | None = None,
    rtol: float = 1e-7,
    atol: float = 1e-10,
) -> DerivativeCheck:
    """Compare the Jacobian of ``outputs`` (symbolic) with autograd at ``point``.

    Parameters
    ----------
    outputs
        The function as SymPy: an expression, a list of expressions or a Matrix
        (entries are flattened row by row).
    symbols
        The input variables, in order; ``point`` gives one number for each.
    point
        Where to compare: a sequence, array or tensor of ``len(symbols)`` numbers.
    jacobian
        The Jacobian you derived, a Matrix of shape
        ``(number of outputs, len(symbols))``. Default: SymPy's own
        ``Matrix(outputs).jacobian(symbols)``.
    torch_fn
        The same function written in torch, taking one 1-D float64 tensor of
        ``len(symbols)`` values and returning a tensor with the outputs (any
        shape, flattened row by row). Default: :func:`sympy_to_torch` of ``outputs``.
        Its value at ``point`` must equal the expression's, or the check fails.
    rtol, atol
        Tolerances: entry-wise ``|symbolic - autograd| <= atol + rtol * |autograd|``.

    Returns
    -------
    DerivativeCheck
        Truthy when the derivatives agree.

    Raises
    ------
    ValueError, TypeError
        On a symbol missing from ``symbols``, a point of the wrong length or not
        finite, a ``jacobian`` of the wrong shape, or a ``torch_fn`` whose output
        has the wrong number of entries.
    """
    import torch

    sp = _sympy()
    rtol, atol = number(rtol, "rtol", low=0), number(atol, "atol", low=0)
    if torch_fn is not None and not callable(torch_fn):
        raise TypeError(
            f"torch_fn must be a function of one tensor, got {type(torch_fn).__name__}"
        )
    flat, _ = _as_expressions(outputs)
    symbols = _check_symbols(symbols, flat)
    x0 = _as_point(point, len(symbols))
    if jacobian is None:
        jacobian = sp.Matrix(flat).jacobian(symbols)
    else:
        jacobian = sp.Matrix(jacobian)
        if jacobian.shape != (len(flat), len(symbols)):
            raise ValueError(
                f"jacobian has shape {jacobian.shape}, expected ({len(flat)}, "
                f"{len(symbols)}): one row per output, one column per symbol"
            )
        _check_symbols(symbols, list(jacobian), what="the jacobian")
    symbolic = _evaluate(list(jacobian), symbols, x0).reshape(len(flat), len(symbols))

    if torch_fn is None:
        as_torch = sympy_to_torch(flat, symbols)

        def torch_fn(v):
            return as_torch(*v.unbind())

    x = torch.tensor(x0, dtype=torch.float64)
    with torch.no_grad():
        value = torch_fn(x.clone())
    if not isinstance(value, torch.Tensor):
        raise TypeError(
            "torch_fn must return a torch tensor computed from its input, got "
            f"{type(value).__name__}: autograd cannot differentiate through numpy or "
            "Python numbers"
        )
    value = value.to(torch.float64).reshape(-1)
    if value.numel() != len(flat):
        raise ValueError(
            f"torch_fn returned {value.numel()} value(s), the expression has "
            f"{len(flat)}"
        )
    expected_value = _evaluate(flat, symbols, x0)
    same_function = np.allclose(to_numpy(value), expected_value, rtol=rtol, atol=atol)
    auto = torch.autograd.functional.jacobian(
        lambda v: torch.as_tensor(torch_fn(v), dtype=torch.float64).reshape(-1), x
    )
    auto = to_numpy(auto).reshape(len(flat), len(symbols))

    error = np.abs(symbolic - auto)
    scale = np.where(auto != 0, np.abs(auto), 1.0)
    max_abs, max_rel = float(error.max()), float((error / scale).max())
    agree = bool(np.all(error <= atol + rtol * np.abs(auto)))
    numbers = Message(
        "max abs error {abs}, max rel error {rel}",
        abs=f"{max_abs:.3g}",
        rel=f"{max_rel:.3g}",
    )
    if not same_function:
        message = Message(
            "❌ torch_fn is not the same function as the expression at this point: "
            "{torch} vs {expression}",
            torch=to_numpy(value),
            expression=expected_value,
        )
    elif agree:
        message = Message(
            "✅ symbolic and autograd derivatives agree ({entries} entries, {numbers})",
            entries=auto.size,
            numbers=numbers,
        )
    else:
        worst = np.unravel_index(np.argmax(error - rtol * np.abs(auto)), error.shape)
        message = Message(
            "❌ derivatives differ at index {index}: symbolic {symbolic}, autograd "
            "{autograd} ({numbers})",
            index=tuple(int(i) for i in worst),
            symbolic=f"{symbolic[worst]:.6g}",
            autograd=f"{auto[worst]:.6g}",
            numbers=numbers,
        )
    return DerivativeCheck(
        passed=same_function and agree,
        text=message,
        symbolic=symbolic,
        autograd=auto,
        max_abs_error=max_abs,
        max_rel_error=max_rel,
    )


def check_gradient(
    expr,
    symbols: Sequence,
    point,
    *,
    gradient=None,
    torch_fn: Callable | None = None,
    rtol: float = 1e-7,
    atol: float = 1e-10,
) -> DerivativeCheck:
    """Compare the gradient of a scalar SymPy expression with autograd at ``point``.

    Parameters
    ----------
    expr
        A scalar SymPy expression.
    symbols
        The variables, in order; ``point`` gives one number for each.
    point
        Where to compare: ``len(symbols)`` numbers.
    gradient
        The gradient you derived, one expression per symbol. Default: SymPy's
        ``[diff(expr, s) for s in symbols]``.
    torch_fn
        Optionally the same function written in torch (one 1-D tensor in, a
        scalar out); default: :func:`sympy_to_torch` of ``expr``.
    rtol, atol
        Tolerances, as in :func:`check_jacobian`.

    Returns
    -------
    DerivativeCheck
        ``symbolic`` and ``autograd`` have shape ``(1, len(symbols))``.

    Raises
    ------
    ValueError, TypeError
        On a Matrix or list instead of a scalar, a symbol missing from
        ``symbols``, a point of the wrong length, or a gradient of the wrong length.
    """
    sp = _sympy()
    flat, shape = _as_expressions(expr)
    if shape != ():
        raise TypeError(
            "check_gradient takes a scalar expression; use check_jacobian for "
            "a vector or matrix of outputs"
        )
    jacobian = None
    if isinstance(gradient, (str, bytes)):
        raise TypeError(
            "gradient must be a list of SymPy expressions, one per symbol, not a "
            "string (write e.g. [2*x, 3*y**2], or sympy.sympify the text first)"
        )
    if gradient is not None:
        gradient = (
            list(gradient)
            if not isinstance(gradient, sp.MatrixBase)
            else list(gradient)
        )
        if len(gradient) != len(list(symbols)):
            raise ValueError(
                f"gradient has {len(gradient)} entries but there are "
                f"{len(list(symbols))} symbols: one partial derivative per symbol"
            )
        jacobian = sp.Matrix([gradient])
    return check_jacobian(
        flat, symbols, point, jacobian=jacobian, torch_fn=torch_fn, rtol=rtol, atol=atol
    )
