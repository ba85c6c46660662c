"""A small neural network to quantize: a 64-64-10 MLP on scikit-learn's bundled digits images.

The data (1797 8x8 images, 10 classes) ships inside scikit-learn: no download.  Pixels are scaled
to [0, 1]; a stratified 70/30 split (seed 0) leaves 540 test images, so accuracy moves in steps of
0.19 points.  The network is x -> relu(W1 x + b1) -> W2 h + b2 (logits), with W1 (64, 64) and
W2 (10, 64) stored as [out, in], so a row is an output channel.  It is trained with full-batch
Adam on the softmax cross-entropy in plain NumPy (deterministic per seed, under a second).

Quantization: :func:`accuracy` runs the network with its weights (and optionally its hidden
activations and inputs) passed through any quantizer from :mod:`physics.quantize`; :func:`qat`
fine-tunes the float "master" weights with the quantized weights in the forward pass and the
straight-through estimator in the backward pass (d round(w) / dw := 1).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable

import numpy as np

__all__ = ["Network", "digits_data", "train", "trained_network", "accuracy", "qat", "sweep"]

Quantizer = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Network:
    """Weights of the 64-64-10 MLP (float64)."""

    W1: np.ndarray    # (64, 64) [hidden, input]
    b1: np.ndarray    # (64,)
    W2: np.ndarray    # (10, 64) [class, hidden]
    b2: np.ndarray    # (10,)

    def logits(self, X: np.ndarray, weights: Quantizer | None = None,
               activations: Quantizer | None = None) -> np.ndarray:
        """Class scores for images X (n, 64); weights/activations pass through the given quantizers.

        Activation quantization applies to the input pixels and to the hidden layer (per tensor, as
        the whitepaper recommends for activations); biases stay in float (they are added in the
        accumulator's wide format on real hardware).
        """
        W1, W2 = (self.W1, self.W2) if weights is None else (weights(self.W1), weights(self.W2))
        a = X if activations is None else activations(X)
        h = np.maximum(a @ W1.T + self.b1, 0.0)
        if activations is not None:
            h = activations(h)
        return h @ W2.T + self.b2


@lru_cache(maxsize=1)
def digits_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test): the digits scaled to [0, 1], stratified 70/30, seed 0."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X = d.data / 16.0
    Xtr, Xte, ytr, yte = train_test_split(X, d.target, test_size=0.3, stratify=d.target, random_state=0)
    for a in (Xtr, Xte, ytr, yte):
        a.setflags(write=False)
    return Xtr, ytr, Xte, yte


def _grads(net: Network, W1, W2, X, y):
    """Cross-entropy loss and its gradients w.r.t. (W1, b1, W2, b2), evaluated with weights W1, W2."""
    n = X.shape[0]
    z1 = X @ W1.T + net.b1
    h = np.maximum(z1, 0.0)
    z2 = h @ W2.T + net.b2
    z2 = z2 - z2.max(axis=1, keepdims=True)
    p = np.exp(z2)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(n), y] + 1e-300))
    d2 = p
    d2[np.arange(n), y] -= 1.0
    d2 /= n
    gW2, gb2 = d2.T @ h, d2.sum(axis=0)
    d1 = (d2 @ W2) * (z1 > 0)
    gW1, gb1 = d1.T @ X, d1.sum(axis=0)
    return loss, (gW1, gb1, gW2, gb2)


def _adam(net: Network, steps: int, lr: float, weights: Quantizer | None = None) -> Network:
    X, y, _, _ = digits_data()
    params = [net.W1.copy(), net.b1.copy(), net.W2.copy(), net.b2.copy()]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(1, steps + 1):
        cur = Network(*params)
        # forward with the quantized weights; the straight-through estimator uses their gradient
        # for the float master weights
        W1, W2 = (params[0], params[2]) if weights is None else (weights(params[0]), weights(params[2]))
        _, g = _grads(cur, W1, W2, X, y)
        for i, gi in enumerate(g):
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            params[i] -= lr * (m[i] / (1 - b1**t)) / (np.sqrt(v[i] / (1 - b2**t)) + eps)
    return Network(*params)


def train(seed: int = 0, steps: int = 400, lr: float = 0.01) -> Network:
    """Train from He-initialised weights with full-batch Adam (deterministic per seed)."""
    rng = np.random.default_rng(seed)
    net = Network(W1=rng.normal(0, np.sqrt(2 / 64), (64, 64)), b1=np.zeros(64),
                  W2=rng.normal(0, np.sqrt(2 / 64), (10, 64)), b2=np.zeros(10))
    return _adam(net, steps, lr)


@lru_cache(maxsize=4)
def trained_network(seed: int = 0) -> Network:
    """The trained network for ``seed``, computed once per process (read-only arrays)."""
    net = train(seed)
    for a in (net.W1, net.b1, net.W2, net.b2):
        a.setflags(write=False)
    return net


def accuracy(net: Network, weights: Quantizer | None = None, activations: Quantizer | None = None) -> float:
    """Fraction of the 540 test images classified correctly."""
    _, _, X, y = digits_data()
    return float(np.mean(np.argmax(net.logits(X, weights, activations), axis=1) == y))


def qat(net: Network, weights: Quantizer, steps: int = 200, lr: float = 0.003) -> Network:
    """Quantization-aware fine-tune: Adam on the float weights, forward pass with ``weights(W)``.

    Returns the fine-tuned float network; evaluate it with the same quantizer.
    """
    return _adam(replace(net, W1=net.W1.copy(), W2=net.W2.copy()), steps, lr, weights)


def sweep(net: Network, schemes: dict[str, Callable[[int], Quantizer]], bits) -> dict[str, np.ndarray]:
    """Accuracy against bit width for each scheme: ``schemes[name](b)`` is the weight quantizer at b bits."""
    bits = list(bits)
    return {name: np.array([accuracy(net, make(b)) for b in bits]) for name, make in schemes.items()}
