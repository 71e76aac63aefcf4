"""The model families of the user report and a few more, written for this project.

- ``FastKAN``: the FastKAN network exactly as the report lists it (LayerNorm,
  Gaussian radial basis functions on a fixed grid, a bias-free spline linear map,
  and a SiLU "base" path). State-dict keys match the report:
  ``layers.0.layernorm.weight``, ``layers.0.layernorm.bias``, ``layers.0.rbf.grid``,
  ``layers.0.spline_linear.weight``, ``layers.0.base_linear.weight``,
  ``layers.0.base_linear.bias``.
- ``EfficientKAN``: a KAN with cubic B-spline bases evaluated by the Cox-de Boor
  recursion, following the public efficient-KAN implementation (KANLinear with a
  ``grid`` buffer, ``base_weight``, ``spline_weight``, ``spline_scaler``).
  Training-time extras (grid update, regularization loss) are left out.
- ``sigmoid_mlp``: the report's Sigmoid MLP 4-100-100-100-100-4.
- ``FourierKAN`` and ``ChebyshevKAN``: KANs whose edge functions are Fourier
  series and Chebyshev series of tanh(x), written from those definitions.
- ``ResidualMLP``, ``tanh_batchnorm_mlp``, ``gelu_softplus_mlp``: MLPs with
  the layers users combine most (LayerNorm, residuals, BatchNorm1d, Dropout,
  GELU, Softplus), for the test corpus of ``make_corpus.py``.

Only torch is required.
"""

import math
from typing import Callable, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

# --------------------------------------------------------------------------- FastKAN


class SplineLinear(nn.Linear):
    """Bias-free linear map from the flattened RBF bases; truncated-normal init."""

    def __init__(self, in_features: int, out_features: int, init_scale: float = 0.1, **kw) -> None:
        self.init_scale = init_scale
        super().__init__(in_features, out_features, bias=False, **kw)

    def reset_parameters(self) -> None:
        nn.init.trunc_normal_(self.weight, mean=0, std=self.init_scale)


class RadialBasisFunction(nn.Module):
    """Gaussian bumps exp(-((x - g) / h)^2) centred on a fixed, non-trainable grid."""

    def __init__(
        self,
        grid_min: float = -2.0,
        grid_max: float = 2.0,
        num_grids: int = 8,
        denominator: Optional[float] = None,
    ) -> None:
        super().__init__()
        grid = torch.linspace(grid_min, grid_max, num_grids)
        # A Parameter with requires_grad=False, as in the report: it is in the
        # state_dict (key "rbf.grid") but the optimizer never moves it.
        self.grid = torch.nn.Parameter(grid, requires_grad=False)
        self.denominator = denominator or (grid_max - grid_min) / (num_grids - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(-(((x[..., None] - self.grid) / self.denominator) ** 2))


class FastKANLayer(nn.Module):
    """One FastKAN layer: spline path on LayerNorm(x) plus a SiLU base path on x."""

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        grid_min: float = -2.0,
        grid_max: float = 2.0,
        num_grids: int = 8,
        use_base_update: bool = True,
        base_activation: Callable[[torch.Tensor], torch.Tensor] = F.silu,
        spline_weight_init_scale: float = 0.1,
    ) -> None:
        super().__init__()
        self.layernorm = nn.LayerNorm(input_dim)
        self.rbf = RadialBasisFunction(grid_min, grid_max, num_grids)
        self.spline_linear = SplineLinear(input_dim * num_grids, output_dim, spline_weight_init_scale)
        self.use_base_update = use_base_update
        if use_base_update:
            self.base_activation = base_activation
            self.base_linear = nn.Linear(input_dim, output_dim)

    def forward(self, x: torch.Tensor, time_benchmark: bool = False) -> torch.Tensor:
        if not time_benchmark:
            spline_basis = self.rbf(self.layernorm(x))
        else:
            spline_basis = self.rbf(x)
        ret = self.spline_linear(spline_basis.view(*spline_basis.shape[:-2], -1))
        if self.use_base_update:
            ret = ret + self.base_linear(self.base_activation(x))
        return ret


class FastKAN(nn.Module):
    """FastKAN network: a stack of FastKANLayer, widths ``layers_hidden``."""

    def __init__(
        self,
        layers_hidden: List[int],
        grid_min: float = -2.0,
        grid_max: float = 2.0,
        num_grids: int = 8,
        use_base_update: bool = True,
        base_activation: Callable[[torch.Tensor], torch.Tensor] = F.silu,
        spline_weight_init_scale: float = 0.1,
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            [
                FastKANLayer(
                    in_dim,
                    out_dim,
                    grid_min=grid_min,
                    grid_max=grid_max,
                    num_grids=num_grids,
                    use_base_update=use_base_update,
                    base_activation=base_activation,
                    spline_weight_init_scale=spline_weight_init_scale,
                )
                for in_dim, out_dim in zip(layers_hidden[:-1], layers_hidden[1:])
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


# ---------------------------------------------------------------------- efficient-KAN


class KANLinear(nn.Module):
    """efficient-KAN layer: SiLU base path plus cubic B-spline path on a fixed grid.

    ``grid`` is a buffer of shape [in, grid_size + 2*spline_order + 1] (uniform
    knots over ``grid_range`` extended by ``spline_order`` knots on each side);
    ``spline_weight`` is [out, in, grid_size + spline_order] and is scaled per
    (out, in) pair by ``spline_scaler`` when ``enable_standalone_scale_spline``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        grid_size: int = 5,
        spline_order: int = 3,
        scale_noise: float = 0.1,
        scale_base: float = 1.0,
        scale_spline: float = 1.0,
        enable_standalone_scale_spline: bool = True,
        base_activation: Callable[[], nn.Module] = nn.SiLU,
        grid_range: Sequence[float] = (-1.0, 1.0),
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.grid_size = grid_size
        self.spline_order = spline_order
        step = (grid_range[1] - grid_range[0]) / grid_size
        knots = torch.arange(-spline_order, grid_size + spline_order + 1) * step + grid_range[0]
        self.register_buffer("grid", knots.expand(in_features, -1).contiguous())
        self.base_weight = nn.Parameter(torch.empty(out_features, in_features))
        self.spline_weight = nn.Parameter(torch.empty(out_features, in_features, grid_size + spline_order))
        self.enable_standalone_scale_spline = enable_standalone_scale_spline
        if enable_standalone_scale_spline:
            self.spline_scaler = nn.Parameter(torch.empty(out_features, in_features))
        self.scale_noise = scale_noise
        self.scale_base = scale_base
        self.scale_spline = scale_spline
        self.base_activation = base_activation()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.base_weight, a=math.sqrt(5) * self.scale_base)
        with torch.no_grad():
            # Small random curves sampled at the interior knots, turned into
            # spline coefficients by least squares.
            samples = (
                (torch.rand(self.grid_size + 1, self.in_features, self.out_features) - 0.5)
                * self.scale_noise
                / self.grid_size
            )
            interior = self.grid.T[self.spline_order : -self.spline_order]
            factor = 1.0 if self.enable_standalone_scale_spline else self.scale_spline
            self.spline_weight.copy_(factor * self._fit_coefficients(interior, samples))
            if self.enable_standalone_scale_spline:
                nn.init.kaiming_uniform_(self.spline_scaler, a=math.sqrt(5) * self.scale_spline)

    def b_splines(self, x: torch.Tensor) -> torch.Tensor:
        """B-spline bases of order ``spline_order``: [batch, in] -> [batch, in, grid_size + spline_order]."""
        grid = self.grid
        xe = x.unsqueeze(-1)
        bases = ((xe >= grid[:, :-1]) & (xe < grid[:, 1:])).to(x.dtype)
        for k in range(1, self.spline_order + 1):
            left = (xe - grid[:, : -(k + 1)]) / (grid[:, k:-1] - grid[:, : -(k + 1)])
            right = (grid[:, k + 1 :] - xe) / (grid[:, k + 1 :] - grid[:, 1:-k])
            bases = left * bases[:, :, :-1] + right * bases[:, :, 1:]
        return bases.contiguous()

    def _fit_coefficients(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Least-squares spline coefficients: x [b, in], y [b, in, out] -> [out, in, coeff]."""
        # The system is underdetermined (grid_size + 1 samples, grid_size + spline_order
        # unknowns); like lstsq's default driver, take the minimum-norm solution,
        # A^T (A A^T)^-1 B, here in float64 so that the float32 result is reproducible
        # bit for bit (torch.linalg.lstsq on CPU varies in the last bit between runs).
        design = self.b_splines(x.double()).permute(1, 0, 2)  # [in, b, coeff]
        target = y.double().permute(1, 0, 2)  # [in, b, out]
        gram = design @ design.transpose(1, 2)  # [in, b, b]
        solution = design.transpose(1, 2) @ torch.linalg.solve(gram, target)  # [in, coeff, out]
        return solution.permute(2, 0, 1).contiguous().to(y.dtype)

    @property
    def scaled_spline_weight(self) -> torch.Tensor:
        if self.enable_standalone_scale_spline:
            return self.spline_weight * self.spline_scaler.unsqueeze(-1)
        return self.spline_weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        original_shape = x.shape
        x = x.view(-1, self.in_features)
        base_output = F.linear(self.base_activation(x), self.base_weight)
        spline_output = F.linear(
            self.b_splines(x).view(x.size(0), -1),
            self.scaled_spline_weight.view(self.out_features, -1),
        )
        out = base_output + spline_output
        return out.view(*original_shape[:-1], self.out_features)


class EfficientKAN(nn.Module):
    """efficient-KAN network: a stack of KANLinear, widths ``layers_hidden``."""

    def __init__(
        self,
        layers_hidden: List[int],
        grid_size: int = 5,
        spline_order: int = 3,
        scale_noise: float = 0.1,
        scale_base: float = 1.0,
        scale_spline: float = 1.0,
        base_activation: Callable[[], nn.Module] = nn.SiLU,
        grid_range: Sequence[float] = (-1.0, 1.0),
    ) -> None:
        super().__init__()
        self.grid_size = grid_size
        self.spline_order = spline_order
        self.layers = nn.ModuleList(
            [
                KANLinear(
                    in_features,
                    out_features,
                    grid_size=grid_size,
                    spline_order=spline_order,
                    scale_noise=scale_noise,
                    scale_base=scale_base,
                    scale_spline=scale_spline,
                    base_activation=base_activation,
                    grid_range=grid_range,
                )
                for in_features, out_features in zip(layers_hidden[:-1], layers_hidden[1:])
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


# ------------------------------------------------------------------------------ MLP


def sigmoid_mlp(n_in: int = 4, n_out: int = 4, width: int = 100, depth: int = 4) -> nn.Sequential:
    """The report's MLP: ``depth`` Linear+Sigmoid blocks of ``width``, then a Linear to ``n_out``.

    With the defaults: Linear(4,100), Sigmoid, 3 x (Linear(100,100), Sigmoid), Linear(100,4);
    state-dict keys ``0.weight``, ``0.bias``, ``2.weight``, ..., ``8.bias``.
    """
    modules: List[nn.Module] = []
    fan_in = n_in
    for _ in range(depth):
        modules += [nn.Linear(fan_in, width), nn.Sigmoid()]
        fan_in = width
    modules.append(nn.Linear(fan_in, n_out))
    return nn.Sequential(*modules)


# ------------------------------------------------------------------ Fourier KAN


class FourierKANLayer(nn.Module):
    """A KAN layer whose edge functions are truncated Fourier series.

    Each input/output pair (i, o) has its own function
    ``phi_oi(x) = sum_{k=1..G} a_oik cos(k x) + b_oik sin(k x)``, and
    ``y_o = sum_i phi_oi(x_i) + bias_o``. The coefficients are one parameter
    ``coefficients`` of shape [2, out, in, G] (cosine terms first); the forward
    takes its slices ``[0:1]`` and ``[1:2]``, so an ONNX export with constant
    folding holds the two slices as separate initializers.
    """

    def __init__(self, in_features: int, out_features: int, grid_size: int = 4) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.grid_size = grid_size
        scale = 1.0 / (math.sqrt(in_features) * math.sqrt(grid_size))
        self.coefficients = nn.Parameter(torch.randn(2, out_features, in_features, grid_size) * scale)
        self.bias = nn.Parameter(torch.zeros(1, out_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = torch.arange(1, self.grid_size + 1, dtype=x.dtype).reshape(1, 1, 1, self.grid_size)
        kx = x.view(x.shape[0], 1, self.in_features, 1) * k  # [batch, 1, in, G]
        terms = torch.cos(kx) * self.coefficients[0:1] + torch.sin(kx) * self.coefficients[1:2]
        y = torch.sum(terms, dim=(-2, -1)) + self.bias  # [batch, out]
        return y.view(-1, self.out_features)


class LayerStack(nn.Module):
    """Layers applied in turn, held as ``self.layers`` (state_dict keys ``layers.0.…``)."""

    def __init__(self, layers: List[nn.Module]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class FourierKAN(LayerStack):
    """A stack of FourierKANLayer, widths ``layers_hidden``."""

    def __init__(self, layers_hidden: List[int], grid_size: int = 4) -> None:
        super().__init__([FourierKANLayer(i, o, grid_size) for i, o in zip(layers_hidden[:-1], layers_hidden[1:])])


# ---------------------------------------------------------------- Chebyshev KAN


class ChebyshevKANLayer(nn.Module):
    """A KAN layer whose edge functions are Chebyshev series of tanh(x).

    ``y_o = sum_i sum_{k=0..D} c_iok T_k(tanh(x_i))`` with the Chebyshev
    polynomials of the first kind written as ``T_k(t) = cos(k arccos t)``
    (tanh maps the input into (-1, 1), the domain of arccos). The degrees
    ``0..D`` are an integer buffer ``degrees``; the sum over inputs and degrees
    is one ``torch.einsum``, and the result is reshaped with ``view(-1, out)``.
    """

    def __init__(self, in_features: int, out_features: int, degree: int = 4) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.degree = degree
        self.coefficients = nn.Parameter(
            torch.randn(in_features, out_features, degree + 1) / (in_features * (degree + 1))
        )
        self.register_buffer("degrees", torch.arange(0, degree + 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = torch.tanh(x).view(-1, self.in_features, 1).expand(-1, -1, self.degree + 1)
        basis = torch.cos(torch.acos(t) * self.degrees)  # [batch, in, D+1]
        y = torch.einsum("bid,iod->bo", basis, self.coefficients)
        return y.view(-1, self.out_features)


class ChebyshevKAN(LayerStack):
    """A stack of ChebyshevKANLayer, widths ``layers_hidden``."""

    def __init__(self, layers_hidden: List[int], degree: int = 4) -> None:
        super().__init__([ChebyshevKANLayer(i, o, degree) for i, o in zip(layers_hidden[:-1], layers_hidden[1:])])


# ------------------------------------------------------------- more MLP shapes


class ResidualBlock(nn.Module):
    """Pre-norm residual block: ``x + Linear(SiLU(LayerNorm(x)))``."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.linear = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.linear(F.silu(self.norm(x)))


class ResidualMLP(nn.Module):
    """Linear lift to ``width``, ``blocks`` residual SiLU/LayerNorm blocks, Linear to ``n_out``."""

    def __init__(self, n_in: int = 4, n_out: int = 4, width: int = 16, blocks: int = 2) -> None:
        super().__init__()
        self.lift = nn.Linear(n_in, width)
        self.blocks = nn.ModuleList([ResidualBlock(width) for _ in range(blocks)])
        self.head = nn.Linear(width, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.lift(x)
        for block in self.blocks:
            h = block(h)
        return self.head(h)


def tanh_batchnorm_mlp(n_in: int = 4, n_out: int = 4, width: int = 16, depth: int = 2, dropout: float = 0.1) -> nn.Sequential:
    """``depth`` blocks of Linear, BatchNorm1d, Tanh, Dropout, then a Linear to ``n_out`` (export in eval mode)."""
    modules: List[nn.Module] = []
    fan_in = n_in
    for _ in range(depth):
        modules += [nn.Linear(fan_in, width), nn.BatchNorm1d(width), nn.Tanh(), nn.Dropout(dropout)]
        fan_in = width
    modules.append(nn.Linear(fan_in, n_out))
    return nn.Sequential(*modules)


def gelu_softplus_mlp(n_in: int = 4, n_out: int = 4, width: int = 16) -> nn.Sequential:
    """Linear, GELU (tanh approximation), Linear, Softplus, Linear."""
    return nn.Sequential(
        nn.Linear(n_in, width),
        nn.GELU(approximate="tanh"),
        nn.Linear(width, width),
        nn.Softplus(),
        nn.Linear(width, n_out),
    )


# Non-trainable state (grids) that must never be perturbed or refitted, by key suffix.
FIXED_STATE_SUFFIXES = ("rbf.grid", ".grid")


def build_model(family: str, architecture: dict) -> nn.Module:
    """Builds a model from ``family`` ("fastkan", "effkan", "mlp") and its constructor arguments."""
    if family == "fastkan":
        return FastKAN(**architecture)
    if family == "effkan":
        return EfficientKAN(**architecture)
    if family == "mlp":
        return sigmoid_mlp(**architecture)
    raise ValueError(f'Cannot build model: unknown family "{family}"')
