"""Model factories for the tests of ``export.py --factory`` (written from the layers' definitions).

They follow the attribute conventions of the public FourierKAN and ChebyKAN code, which the
companion's old width guess could not read: the layers keep their widths as ``inputdim`` /
``outdim`` (no ``in_features``, no ``nn.Linear``), and the Chebyshev network puts a
``LayerNorm`` of the hidden width between its layers.

- ``fourier_net``: y_o = sum_i sum_k a_oik cos(k x_i) + b_oik sin(k x_i) + bias_o, the
  coefficients one parameter [2, out, in, g] used through the slices [0:1] and [1:2];
- ``chebyshev_net``: y_o = sum_i sum_d c_iod T_d(tanh x_i) with T_d(t) = cos(d acos t),
  then LayerNorm(hidden), then a second Chebyshev layer.
"""
import torch
import torch.nn as nn


class FourierLayer(nn.Module):
    def __init__(self, inputdim: int, outdim: int, gridsize: int) -> None:
        super().__init__()
        self.inputdim, self.outdim, self.gridsize = inputdim, outdim, gridsize
        scale = 1.0 / (inputdim * gridsize) ** 0.5
        self.fouriercoeffs = nn.Parameter(torch.randn(2, outdim, inputdim, gridsize) * scale)
        self.bias = nn.Parameter(torch.zeros(1, outdim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = torch.arange(1, self.gridsize + 1, dtype=x.dtype)
        kx = x[:, None, :, None] * k  # [batch, 1, in, g]
        y = (torch.cos(kx) * self.fouriercoeffs[0:1]).sum((-2, -1))
        y = y + (torch.sin(kx) * self.fouriercoeffs[1:2]).sum((-2, -1))
        return y + self.bias


class ChebyshevLayer(nn.Module):
    def __init__(self, inputdim: int, outdim: int, degree: int) -> None:
        super().__init__()
        self.inputdim, self.outdim, self.degree = inputdim, outdim, degree
        self.cheby_coeffs = nn.Parameter(torch.randn(inputdim, outdim, degree + 1) / (inputdim * (degree + 1)))
        self.register_buffer("arange", torch.arange(0, degree + 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = torch.tanh(x).view(-1, self.inputdim, 1).expand(-1, -1, self.degree + 1)
        basis = torch.cos(torch.acos(t) * self.arange)
        return torch.einsum("bid,iod->bo", basis, self.cheby_coeffs).view(-1, self.outdim)


def fourier_net(widths=(4, 6, 4), gridsize: int = 3) -> nn.Module:
    return nn.Sequential(*[FourierLayer(i, o, gridsize) for i, o in zip(widths[:-1], widths[1:])])


def chebyshev_net(widths=(4, 6, 4), degree: int = 3) -> nn.Module:
    return nn.Sequential(ChebyshevLayer(widths[0], widths[1], degree), nn.LayerNorm(widths[1]),
                         ChebyshevLayer(widths[1], widths[2], degree))
