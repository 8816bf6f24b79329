"""SIGReg / Epps-Pulley against independent computations (closed form, adaptive quadrature)."""

from __future__ import annotations

import math

import mpmath
import pytest
import torch

from jepa_wm.train.sigreg import epps_pulley, null_mean, random_directions, sigreg


def _closed_form(x: torch.Tensor) -> float:
    """N * int |phi_N - phi_0|^2 exp(-t^2/2) dt expanded by hand: the three Gaussian
    integrals int cos(td) e^{-t^2/2} = sqrt(2pi) e^{-d^2/2}, int cos(tx) e^{-t^2} = sqrt(pi)
    e^{-x^2/4} and int e^{-3t^2/2} = sqrt(2pi/3)."""
    x = x.double()
    n = len(x)
    d = x[:, None] - x[None]
    pair = math.sqrt(2 * math.pi) * torch.exp(-d * d / 2).sum() / n**2
    cross = 2 * math.sqrt(math.pi) * torch.exp(-x * x / 4).mean()
    return float(n * (pair - cross + math.sqrt(2 * math.pi / 3)))


def _quadrature(x: torch.Tensor) -> float:
    """The Epps-Pulley integral over the whole real line by mpmath's adaptive quadrature."""
    xs = [float(v) for v in x]
    n = len(xs)

    def integrand(t):
        re = mpmath.fsum(mpmath.cos(t * v) for v in xs) / n
        im = mpmath.fsum(mpmath.sin(t * v) for v in xs) / n
        g = mpmath.exp(-t * t / 2)
        return ((re - g) ** 2 + im**2) * g

    return float(n * mpmath.quad(integrand, [-mpmath.inf, 0, mpmath.inf]))


@pytest.mark.slow  # mpmath's adaptive quadrature: a few seconds per case
@pytest.mark.parametrize("kind", ["gaussian", "scaled", "uniform", "shifted", "bimodal"])
def test_epps_pulley_matches_the_integral(kind: str) -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(40, generator=g)
    x = {
        "gaussian": x,
        "scaled": 2.5 * x,
        "uniform": torch.rand(40, generator=g) * 2 - 1,
        "shifted": x + 1.0,
        "bimodal": x.sign() * 2 + 0.3 * x,
    }[kind]
    ours = float(epps_pulley(x[:, None]))
    assert ours == pytest.approx(_quadrature(x), rel=1e-4, abs=1e-4)
    assert ours == pytest.approx(_closed_form(x), rel=1e-4, abs=1e-4)


def test_sigreg_is_small_on_gaussians_and_large_far_from_them() -> None:
    g = torch.Generator().manual_seed(0)
    a = random_directions(16, 64, g)
    assert torch.allclose(a.norm(dim=0), torch.ones(64))
    z = torch.randn(4096, 16, generator=g)
    gauss = float(sigreg(z, a))
    assert gauss < 2 * null_mean()  # E[EP] under the null is ~1.06, whatever N
    far = {
        "too wide": 3 * z,
        "too narrow": 0.3 * z,
        "shifted": z + 1.0,
        "collapsed": 0.1 * torch.ones_like(z),
        "low rank": z[:, :1].expand(-1, 16),  # all mass on one direction
    }
    for name, w in far.items():
        assert float(sigreg(w, a)) > 50 * gauss, name


@pytest.mark.slow
def test_sigreg_gradient_pulls_a_cloud_towards_the_gaussian() -> None:
    g = torch.Generator().manual_seed(2)
    z = (0.2 * torch.randn(256, 8, generator=g) + 0.5).requires_grad_(True)
    opt = torch.optim.Adam([z], lr=0.05)
    first = None
    for _ in range(60):
        loss = sigreg(z, random_directions(8, 32, g))
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05 * first
    assert z.detach().std(0).mean() == pytest.approx(1.0, abs=0.2)


def test_bad_shapes_raise() -> None:
    with pytest.raises(ValueError, match="samples"):
        epps_pulley(torch.zeros(5))
    with pytest.raises(ValueError, match="disagree"):
        sigreg(torch.zeros(4, 3), torch.zeros(5, 2))
