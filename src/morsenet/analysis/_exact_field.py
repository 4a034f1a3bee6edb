"""A numerically exact float64 field of a layer chain: stable activation slopes, log-safe Jacobian products.

Autograd differentiates `tanh` as `1 - tanh(z)^2`, which loses all relative accuracy once |z| > ~2 and is exactly
0 for |z| > 19: a saturated tail then looks like a critical point. Here the slope is `sech^2(z) =
4 e^{-2|z|} / (1 + e^{-2|z|})^2` (relative accuracy eps down to e^{-2|z|} ~ 1e-308), so gradients, Hessians and
the rounding floor of the chain rule are right however saturated a neuron is; no pre-activation cutoff is needed.
Products of layer Jacobians are accumulated with rescaling (and a QR factorisation for their smallest singular
value), so they never underflow.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from ..models import ChainStep, MorseModel
from ._scalar_field import ScalarFn, float64_copy

_EPS = torch.finfo(torch.float64).eps


def sech2(z: Tensor) -> Tensor:
    """tanh'(z) = sech(z)^2, accurate to a few eps relative for every |z| (differentiable with torch ops)."""
    e = torch.exp(-2 * z.abs())
    return 4 * e / (1 + e) ** 2


def sigmoid_slope(z: Tensor) -> Tensor:
    """sigmoid'(z) = e^{-|z|} / (1 + e^{-|z|})^2, accurate in relative terms for every z."""
    e = torch.exp(-z.abs())
    return e / (1 + e) ** 2


class _StableTanh(torch.autograd.Function):
    """tanh whose backward multiplies by `sech2` (twice differentiable: the backward is made of torch ops)."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, z: Tensor) -> Tensor:
        ctx.save_for_backward(z)
        return torch.tanh(z)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: Tensor) -> Tensor:
        (z,) = ctx.saved_tensors  # type: ignore[attr-defined]
        return grad * sech2(z)


class _StableSigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, z: Tensor) -> Tensor:
        ctx.save_for_backward(z)
        return torch.sigmoid(z)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: Tensor) -> Tensor:
        (z,) = ctx.saved_tensors  # type: ignore[attr-defined]
        return grad * sigmoid_slope(z)


def _stable_tanh(z: Tensor) -> Tensor:
    out: Tensor = _StableTanh.apply(z)
    return out


def _stable_sigmoid(z: Tensor) -> Tensor:
    out: Tensor = _StableSigmoid.apply(z)
    return out


# Piecewise-linear activations: the gradient is exactly 0 on open sets where every path is switched off.
PIECEWISE_LINEAR = ("relu", "leaky_relu", "identity")


@dataclass(frozen=True)
class LayerChain:
    """A float64 layer chain with stable activations: `h <- skip h + residual act(W h + b)`, then `w . h + c`.

    Attributes:
        steps: the chain (BatchNorm folded), float64.
        w_out: (n_L,) read-out weight; c_out: read-out bias.
        activation: the activation's name.
    """

    steps: tuple[ChainStep, ...]
    w_out: Tensor
    c_out: float
    activation: str
    act: Callable[[Tensor], Tensor]
    slope: Callable[[Tensor], Tensor]
    curvature: Callable[[Tensor], Tensor]

    def __call__(self, x: Tensor) -> Tensor:
        """f(x) (n,), differentiable twice with exact slopes."""
        return chain_values(self, self.point_maps(len(x)), x)

    def act_slopes(self, z: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(act(z), act'(z), act''(z)) without an autograd graph (tanh: its value and sech^2 computed once)."""
        if self.activation == "tanh":
            t, s = torch.tanh(z), sech2(z)
            return t, s, -2 * t * s
        return self.act(z), self.slope(z), self.curvature(z)

    def point_maps(self, n: int) -> PointMaps:
        """Every step's weight and bias and the read-out, one copy per point (views): what `chain_values` and
        `chain_derivatives` take, so one chain and a stack of chains (`_lockstep`) run the same kernels."""
        weights = tuple(s.weight.expand(n, *s.weight.shape) for s in self.steps)
        biases = tuple(s.bias.expand(n, *s.bias.shape) for s in self.steps)
        return PointMaps(weights, biases, self.w_out.expand(n, -1), torch.full((n,), self.c_out, dtype=torch.float64))

    def derivatives(self, x: Tensor, *, hessian: bool = True) -> tuple[Tensor, Tensor, Tensor | None]:
        """Value (n,), gradient (n, d) and Hessian (n, d, d) by forward propagation of first and second
        derivatives through the chain (no autograd graph: a few small batched products per layer)."""
        return chain_derivatives(self, self.point_maps(len(x)), x.detach(), hessian=hessian)

    def weights_full_rank(self, rtol: float = 1e-6) -> bool:
        """Every step has rank >= the input dimension: a residual block with skip != 0, or a weight whose
        singular values all exceed `rtol` times the largest and which is at least d wide (the theory's test)."""
        d = self.steps[0].weight.shape[1] if self.steps else 0
        for s in self.steps:
            if s.skip and s.weight.shape[0] == s.weight.shape[1]:
                continue
            sv = torch.linalg.svdvals(s.weight)
            if min(s.weight.shape) < d or not bool(sv[-1] > rtol * sv[0]):
                return False
        return True

    def layer_jacobians(self, x: Tensor) -> tuple[list[Tensor], list[Tensor], list[Tensor]]:
        """Per step: Jacobian (n, out, in), pre-activation bound |W||h| + |b| (n, out), and input h (n, in)."""
        h = x.detach()
        jacs, zbound, inputs = [], [], []
        for s in self.steps:
            z = h @ s.weight.T + s.bias
            jacs.append(s.jacobian(z, self.slope(z)))
            zbound.append(h.abs() @ s.weight.abs().T + s.bias.abs())
            inputs.append(h)
            with torch.no_grad():
                h = s.combine(h, self.act(z))
        return jacs, zbound, inputs


@dataclass(frozen=True)
class PointMaps:
    """A chain's affine maps with one copy per point: weights[k] (n, out, in), biases[k] (n, out), the read-out
    w_out (n, n_L) and c_out (n,). One chain expands its own maps (views); a stack of chains gathers each
    point's model (`_lockstep.StackedChain`)."""

    weights: tuple[Tensor, ...]
    biases: tuple[Tensor, ...]
    w_out: Tensor
    c_out: Tensor


def chain_values(chain: LayerChain, maps: PointMaps, x: Tensor) -> Tensor:
    """f(x) (n,) of the chain's steps (skip, residual, activation) with the per-point maps (differentiable)."""
    h = x
    for s, w, b in zip(chain.steps, maps.weights, maps.biases):
        z = torch.bmm(w, h[:, :, None])[:, :, 0] + b
        h = s.combine(h, chain.act(z))
    return (h * maps.w_out).sum(dim=1) + maps.c_out


def chain_derivatives(
    chain: LayerChain, maps: PointMaps, x: Tensor, *, hessian: bool = True
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Value (n,), gradient (n, d) and Hessian (n, d, d) of the chain's steps with the per-point maps, by forward
    propagation of first and second derivatives (batched products per layer, no autograd graph).

    Every product is a `bmm` over points with each point's own copy of the maps, so one chain and a stack of chains
    run the same kernels (`_lockstep`) and a point's numbers agree to rounding whoever shares the call.
    """
    n, d = x.shape
    h = x
    jac = torch.eye(d, dtype=torch.float64).expand(n, d, d)  # dh/dx (n, w, d)
    sec = torch.zeros(n, d, d * d, dtype=torch.float64) if hessian else None  # d2h/dx2 (n, w, d*d)
    for s, w, b in zip(chain.steps, maps.weights, maps.biases):
        z = torch.bmm(w, h[:, :, None])[:, :, 0] + b
        jz = torch.bmm(w, jac)
        a, slope, curv = chain.act_slopes(z)
        ja = slope[:, :, None] * jz
        if sec is not None:
            tz = torch.bmm(w, sec)
            outer = (jz[:, :, :, None] * jz[:, :, None, :]).reshape(n, -1, d * d)
            ta = slope[:, :, None] * tz + curv[:, :, None] * outer
            sec = s.skip * sec + s.residual * ta if s.skip else s.residual * ta
        jac = s.skip * jac + s.residual * ja if s.skip else s.residual * ja
        h = s.combine(h, a)
    v = (h * maps.w_out).sum(dim=1) + maps.c_out
    g = torch.bmm(maps.w_out[:, None, :], jac)[:, 0, :]
    hess = None
    if sec is not None:
        hess = torch.bmm(maps.w_out[:, None, :], sec)[:, 0, :].reshape(n, d, d)
        hess = 0.5 * (hess + hess.transpose(1, 2))
    return v.detach(), g.detach(), None if hess is None else hess.detach()


def layer_chain(f: object) -> LayerChain | None:
    """The stable float64 `LayerChain` of a morsenet model with a chain (MLP, ResNet); None otherwise (a
    `LayerChain` is its own chain)."""
    if isinstance(f, LayerChain):
        return f
    if not isinstance(f, MorseModel):
        return None
    model = float64_copy(f)
    assert isinstance(model, MorseModel)
    steps = model.chain()
    if steps is None:
        return None
    name = model.activation
    act, slope, curvature = _activation_triple(name, model.act)
    readout = model.readout_map()
    return LayerChain(tuple(steps), readout.weight[0], float(readout.bias[0]), name, act, slope, curvature)


def _zero(z: Tensor) -> Tensor:
    return torch.zeros_like(z)


def _activation_triple(name: str, act: Callable[[Tensor], Tensor]) -> tuple[Callable, Callable, Callable]:
    """(activation, its slope, its second derivative), each accurate in relative terms."""
    if name == "tanh":
        return _stable_tanh, sech2, lambda z: -2 * torch.tanh(z) * sech2(z)
    if name == "sigmoid":
        return _stable_sigmoid, sigmoid_slope, lambda z: -sigmoid_slope(z) * torch.tanh(z / 2)
    if name == "softplus":
        return act, torch.sigmoid, sigmoid_slope
    if name == "relu":
        return act, lambda z: (z > 0).to(z.dtype), _zero
    if name == "leaky_relu":
        return act, lambda z: torch.where(z > 0, torch.ones_like(z), torch.full_like(z, 0.01)), _zero
    if name == "identity":
        return act, torch.ones_like, _zero

    def numeric(z: Tensor) -> Tensor:  # any other activation: its autograd slope
        zz = z.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            (g,) = torch.autograd.grad(act(zz).sum(), zz)
        return g

    def numeric2(z: Tensor) -> Tensor:
        zz = z.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            (g,) = torch.autograd.grad(act(zz).sum(), zz, create_graph=True)
            (g2,) = torch.autograd.grad(g.sum(), zz, allow_unused=True)
        return torch.zeros_like(z) if g2 is None else g2

    return act, numeric, numeric2


def exact_field(f: object) -> ScalarFn | None:
    """The float64 field of `f` with exact activation slopes, for a morsenet model with a chain; else None."""
    chain = layer_chain(f)
    return None if chain is None else chain


def gradient_floor(chain: LayerChain, x: Tensor) -> Tensor:
    """(n,) the rounding floor of the float64 gradient of `chain` at x (n, d).

    The gradient is `v_0 = w^T J_L ... J_1`, computed from the read-out down as `v_{l-1} = v_l J_l`. Rounding in
    layer l perturbs each entry of J_l by a relative few eps (in W_l; in the slope D_l, accurate in relative
    terms here; in the pre-activation z, which moves D_l by |D_l'| |dz| <= 2 D_l (|W_l||h| + |b_l|) eps for tanh;
    in the skip sum), so `v_l J_l` is perturbed entrywise by at most

        e_l = eps * |v_l| |J_l| diag(2 + 2 (|W_l||h| + |b_l|))        (absolute values entrywise, a row vector),

    which the exact product below carries to the input: |e_l|_2 |dh_{l-1}/dx|_2. The floor is the sum over layers
    plus the read-out term eps |w| |dh_L/dx|. The entrywise form keeps the row structure: a saturated width-2
    layer (nearly rank one) only spreads the error of the rows that `v_l` actually weights, so a resolved
    gradient of a saturated tail stays far above its floor, while a genuine critical point sits at it.
    """
    n, d = x.shape
    jacs, zbound, _ = chain.layer_jacobians(x)
    below = []
    jac = torch.eye(d, dtype=torch.float64).expand(n, d, d)
    for a in jacs:
        below.append(torch.linalg.matrix_norm(jac, ord=2) if d > 1 else torch.linalg.matrix_norm(jac))
        jac = a @ jac
    v = chain.w_out.expand(n, -1)
    top = torch.linalg.matrix_norm(jac, ord=2) if d > 1 else torch.linalg.matrix_norm(jac)
    total = torch.linalg.vector_norm(v, dim=1) * top
    for layer in range(len(jacs) - 1, -1, -1):
        a = jacs[layer]
        row = 2 + 2 * zbound[layer]  # (n, out)
        e = ((v.abs() * row)[:, None, :] @ a.abs())[:, 0, :]
        total = total + torch.linalg.vector_norm(e, dim=1) * below[layer]
        v = (v[:, None, :] @ a)[:, 0, :]
    return _EPS * total


@dataclass(frozen=True)
class ProductSpectrum:
    """Singular values of the Jacobian product `dh_L/dx = J_L ... J_1` at some points, in log form.

    Attributes:
        log_sigma_max: (n,) natural log of the largest singular value.
        log_sigma_min: (n,) natural log of the smallest (of min(n_L, d)); -inf when exactly singular.
        layers_full_rank: (n,) every layer has full rank >= d (its weight, or a nonzero skip for a residual
            block: the theory's per-layer rank test), so the product is of full rank d in exact arithmetic.
    """

    log_sigma_max: Tensor
    log_sigma_min: Tensor
    layers_full_rank: Tensor

    @property
    def relative_sigma_min(self) -> Tensor:
        """(n,) sigma_min / sigma_max (underflows to 0 below ~1e-308; use the logs for the value)."""
        return torch.exp(self.log_sigma_min - self.log_sigma_max)

    @property
    def below_resolution(self) -> Tensor:
        """(n,) sigma_min below float64 resolution (64 eps): a step of x along the weakest direction moves the
        last hidden representation (of size ~1) by less than float64 can represent, so the computed map is
        numerically a bottleneck there, whatever the exact ranks of the layers."""
        return self.log_sigma_min < math.log(64 * _EPS)


def product_spectrum(chain: LayerChain, x: Tensor) -> ProductSpectrum:
    """`ProductSpectrum` of the chain's Jacobian product at x (n, d), by QR accumulation (never underflows).

    With P_l = J_l Q_{l-1} = Q_l R_l, the product is Q_L R_L ... R_1; |det| of the d x d triangular product is the
    product of the |diagonals| (summed as logs), its largest singular value comes from the rescaled product, and
    for d = 2 the smallest is |det| / sigma_max exactly (for d = 3 the middle one is read off the rescaled product).
    """
    n, d = x.shape
    jacs, _, _ = chain.layer_jacobians(x)
    full = torch.ones(n, dtype=torch.bool)
    q = torch.eye(d, dtype=torch.float64).expand(n, d, d)
    t = torch.eye(d, dtype=torch.float64).expand(n, d, d).clone()  # rescaled R_L ... R_1
    log_det = torch.zeros(n, dtype=torch.float64)
    log_scale = torch.zeros(n, dtype=torch.float64)
    full = full & chain.weights_full_rank()
    for a in jacs:
        p = a @ q
        if p.shape[1] < d:  # the chain narrows below d: the product is singular
            q, r = p, None
            log_det = torch.full_like(log_det, -math.inf)
            continue
        q, r = torch.linalg.qr(p)
        log_det = log_det + torch.log(r.diagonal(dim1=1, dim2=2).abs()).sum(dim=1)
        t = r @ t
        norm = torch.linalg.matrix_norm(t, ord=2).clamp(min=1e-300)
        t = t / norm[:, None, None]
        log_scale = log_scale + torch.log(norm)
    sv = torch.linalg.svdvals(t)
    log_max = log_scale + torch.log(sv[:, 0])
    if d == 1:
        log_min = log_max
    elif d == 2:
        log_min = log_det - log_max
    else:
        log_min = log_det - log_max - (log_scale + torch.log(sv[:, 1].clamp(min=1e-300)))
    return ProductSpectrum(log_max, log_min, full)


def product_spectrum_of(model: object, x: Tensor) -> ProductSpectrum | None:
    """`ProductSpectrum` of a morsenet model's layer chain at points x (n, d); None without a chain."""
    chain = layer_chain(model)
    return None if chain is None else product_spectrum(chain, torch.as_tensor(x, dtype=torch.float64))


class flush_denormals:
    """Context manager: flush subnormal floats to zero while an analysis runs (restored afterwards).

    Deep saturated chains produce gradients near 1e-300; subnormal arithmetic is ~100 times slower on CPUs, and
    nothing below the smallest normal float64 (2.2e-308) is resolvable anyway. The setting is the calling
    thread's (the CPU's control register), so analyses in threads of their own (`_lockstep`) each set their own.
    """

    def __enter__(self) -> None:
        self.supported = torch.set_flush_denormal(True)

    def __exit__(self, *exc: object) -> None:
        if self.supported:
            torch.set_flush_denormal(False)
