"""Unit tests of helpers.symbolic (SymPy ↔ autograd)."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
import sympy as sp
import torch

from helpers import symbolic

x, y, z = sp.symbols("x y z", real=True)


def test_doctests():
    assert doctest.testmod(symbolic).failed == 0


def test_sympy_to_torch_matches_sympy_and_handles_constants():
    f = symbolic.sympy_to_torch(sp.sqrt(2) * sp.exp(-x) + sp.pi * y**2, [x, y])
    got = f(
        torch.tensor([0.0, 1.0], dtype=torch.float64),
        torch.tensor(2.0, dtype=torch.float64),
    )
    want = [math.sqrt(2) * math.exp(-v) + math.pi * 4 for v in (0.0, 1.0)]
    assert torch.allclose(got, torch.tensor(want, dtype=torch.float64))


def test_sympy_to_torch_piecewise_max_and_constant_results_broadcast():
    relu = symbolic.sympy_to_torch(sp.Max(x, 0), [x])
    assert relu(torch.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]
    constant = symbolic.sympy_to_torch(sp.Integer(3), [x])
    assert constant(torch.zeros(4)).tolist() == [3.0] * 4
    step = symbolic.sympy_to_torch(sp.Piecewise((x, x > 0), (0, True)), [x])
    assert step(torch.tensor([-2.0, 5.0])).tolist() == [0.0, 5.0]


def test_numbers_in_the_formula_follow_the_inputs_dtype_and_device():
    # sqrt(2), Max(x, 1) and where(gt(x, 0), x, 0) call torch with plain numbers;
    # those become tensors of the input's dtype, so float32 stays float32.
    expr = sp.sqrt(2) * sp.Max(x, 1) + sp.Piecewise((x, x > 0), (0, True))
    f = symbolic.sympy_to_torch(expr, [x])
    out = f(torch.tensor([-1.0, 3.0], dtype=torch.float32))
    assert out.dtype == torch.float32
    assert torch.allclose(out, torch.tensor([math.sqrt(2), 3 * math.sqrt(2) + 3.0]))


def test_sympy_to_torch_uses_lambdify_without_editing_its_globals(monkeypatch):
    """Public API only: lambdify's functions are left exactly as lambdify made them."""
    made = []
    lambdify = sp.lambdify

    def recording_lambdify(*args, **kwargs):
        function = lambdify(*args, **kwargs)
        made.append((function, dict(function.__globals__)))
        return function

    monkeypatch.setattr(sp, "lambdify", recording_lambdify)
    symbolic.sympy_to_torch(sp.sqrt(2) * sp.Max(x, 0), [x])(torch.tensor([1.0]))
    assert made and all(f.__globals__ == before for f, before in made)


def test_sympy_to_torch_matrix_shape_and_autograd_flows():
    f = symbolic.sympy_to_torch(sp.Matrix([[x, x * y], [1, y**2]]), [x, y])
    out = f(torch.tensor([1.0, 2.0]), torch.tensor(3.0))
    assert out.shape == (2, 2, 2)
    assert out[1].tolist() == [[2.0, 6.0], [1.0, 9.0]]
    a = torch.tensor(1.5, requires_grad=True)
    g = symbolic.sympy_to_torch(sp.sin(x) ** 2, [x])
    g(a).backward()
    # d/dx sin² = sin 2x
    assert math.isclose(a.grad.item(), math.sin(3.0), rel_tol=1e-6)


def test_sympy_to_torch_rejects_unknown_symbols_and_wrong_arity():
    with pytest.raises(ValueError, match="symbol.*z.*not in symbols"):
        symbolic.sympy_to_torch(x + z, [x])
    f = symbolic.sympy_to_torch(x + y, [x, y])
    with pytest.raises(TypeError, match="expected 2 argument"):
        f(torch.tensor(1.0))


def test_correct_gradient_passes_with_tiny_errors():
    result = symbolic.check_gradient(
        sp.exp(x * y) * sp.sin(z), [x, y, z], [0.3, -1.2, 0.8]
    )
    assert result and result.passed
    assert result.symbolic.shape == result.autograd.shape == (1, 3)
    assert result.max_abs_error < 1e-12
    assert repr(result).startswith("✅")


def test_wrong_derivative_is_detected():
    # A classic mistake: d/dx sigmoid(x) written as sigmoid(x) instead of
    # sigmoid(x)(1 - sigmoid(x)).
    sigmoid = 1 / (1 + sp.exp(-x))
    wrong = symbolic.check_gradient(sigmoid, [x], [0.5], gradient=[sigmoid])
    assert not wrong
    assert repr(wrong).startswith("❌") and "differ" in repr(wrong)
    right = symbolic.check_gradient(
        sigmoid, [x], [0.5], gradient=[sigmoid * (1 - sigmoid)]
    )
    assert right


def test_wrong_torch_function_is_detected():
    # Same value at the point (1 = 1) but a different function: the derivative gives it
    # away.
    result = symbolic.check_gradient(x**2, [x], [1.0], torch_fn=lambda v: v[0] ** 3)
    assert not result and "differ" in result.message
    # A different value at the point is reported as a different function.
    other = symbolic.check_gradient(x**2, [x], [2.0], torch_fn=lambda v: v[0] ** 3)
    assert not other and "not the same function" in other.message


def test_jacobian_of_softmax_against_torch():
    zs = sp.symbols("z0:3", real=True)
    exps = [sp.exp(v) for v in zs]
    s = sp.Matrix([e / sum(exps) for e in exps])
    derived = sp.diag(*s) - s * s.T
    result = symbolic.check_jacobian(
        s,
        zs,
        [0.1, -0.4, 2.0],
        jacobian=derived,
        torch_fn=lambda v: torch.softmax(v, dim=0),
    )
    assert result
    transposed = symbolic.check_jacobian(
        s,
        zs,
        [0.1, -0.4, 2.0],
        jacobian=derived + sp.eye(3),
        torch_fn=lambda v: torch.softmax(v, dim=0),
    )
    assert not transposed


def test_bad_inputs_give_clear_errors():
    with pytest.raises(ValueError, match="2 symbol"):
        symbolic.check_gradient(x * y, [x, y], [1.0])
    with pytest.raises(ValueError, match="y.*not in symbols"):
        symbolic.check_gradient(x * y, [x], [1.0])
    with pytest.raises(ValueError, match="finite"):
        symbolic.check_gradient(x, [x], [float("nan")])
    with pytest.raises(TypeError, match="list of SymPy symbols"):
        symbolic.check_gradient(x, x, [1.0])
    with pytest.raises(TypeError, match="Symbols"):
        symbolic.check_gradient(x, ["x"], [1.0])
    with pytest.raises(ValueError, match="duplicates"):
        symbolic.check_gradient(x, [x, x], [1.0, 2.0])
    with pytest.raises(TypeError, match="scalar"):
        symbolic.check_gradient(sp.Matrix([x, y]), [x, y], [1.0, 2.0])
    with pytest.raises(ValueError, match="gradient has 1 entries"):
        symbolic.check_gradient(x * y, [x, y], [1.0, 2.0], gradient=[y])
    with pytest.raises(ValueError, match="jacobian has shape"):
        symbolic.check_jacobian([x, y], [x, y], [1.0, 2.0], jacobian=sp.eye(3))
    with pytest.raises(ValueError, match="returned 3 value"):
        symbolic.check_jacobian(
            [x, y], [x, y], [1.0, 2.0], torch_fn=lambda v: torch.cat([v, v[:1]])
        )
    with pytest.raises(TypeError, match="SymPy expression"):
        symbolic.check_gradient(object(), [x], [1.0])
    with pytest.raises(ValueError, match="not real"):
        symbolic.check_gradient(sp.sqrt(x), [x], [-1.0])


def test_point_may_be_a_tensor_or_array():
    assert symbolic.check_gradient(x**3, [x], torch.tensor([2.0]))
    assert symbolic.check_gradient(x**3 + y, [x, y], np.array([[2.0], [1.0]]))


def test_import_helpers_does_not_import_sympy_or_torch():
    import subprocess
    import sys

    code = (
        "import sys, helpers.symbolic; "
        "print('sympy' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]


# --- odd arguments: a sentence instead of a traceback or a misleading ❌ --------------


def test_a_gradient_given_as_text_is_refused_not_read_letter_by_letter():
    x = sp.Symbol("x")
    with pytest.raises(TypeError, match="not a string"):  # was "gradient has 3 entries"
        symbolic.check_gradient(x**2, [x], [1.0], gradient="2*x")


def test_a_torch_fn_returning_numpy_is_named_not_reported_as_a_zero_derivative():
    x = sp.Symbol("x")
    # was ❌ "autograd 0"
    with pytest.raises(TypeError, match="must return a torch tensor"):
        symbolic.check_jacobian(
            sp.Matrix([x**2]),
            [x],
            [1.0],
            torch_fn=lambda v: np.array([float(v[0]) ** 2]),
        )
    with pytest.raises(TypeError, match="torch_fn must be a function"):
        symbolic.check_jacobian(sp.Matrix([x]), [x], [1.0], torch_fn="x")


@pytest.mark.parametrize("outputs", [sp.Matrix([]), []])
def test_nothing_to_differentiate_is_named(outputs):
    with pytest.raises(ValueError, match="empty"):
        symbolic.check_jacobian(outputs, [sp.Symbol("x")], [1.0])


@pytest.mark.parametrize(
    "tolerance", [{"rtol": -1}, {"rtol": "a"}, {"atol": float("nan")}]
)
def test_tolerances_must_be_non_negative_numbers(tolerance):
    x = sp.Symbol("x")
    with pytest.raises(ValueError, match="tol must be a finite number ≥ 0"):
        symbolic.check_gradient(x**2, [x], [1.0], **tolerance)


def test_a_converted_function_called_with_text_says_what_it_takes():
    x = sp.Symbol("x")
    with pytest.raises(TypeError, match="must be numbers, arrays or tensors"):
        symbolic.sympy_to_torch(x**2, [x])("a")
