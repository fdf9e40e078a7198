"""DQN's gradient step written out: forward pass, the loss's gradient and backpropagation
through the MLP into preallocated buffers, with no autograd graph built per step.

For the Q-value of the taken action ``q = Q(s)[a]`` and the TD target ``y``, the loss is the
batch mean of Huber(``d``) or ``d**2`` with ``d = q - y``. Its gradient with respect to ``q``
is ``clip(d, -1, 1) / B`` (Huber) or ``2 d / B`` (squared), at the taken action only; each layer
``z = h W^T + b`` (then ``h' = relu(z)`` between layers) passes it back as

    dW = dz^T h,    db = sum over the batch of dz,    dz_below = (dz W) [h > 0].

These are the products autograd computes, in the same order, so the gradients equal
autograd's bit for bit (tests/qbaselines/test_dqn_step.py); what is saved is autograd's
per-step bookkeeping and allocations, a large share of a step for DQN's small networks.
The gradients live in one flat tensor (each parameter's ``.grad`` is a view of it), so
clipping them to a global norm scales them all with one multiply.

>>> import torch
>>> net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
>>> step = GradientStep(torch, net, batch_size=4, loss="huber")
>>> with torch.no_grad():
...     q = step(torch.ones(4, 3), torch.zeros(4, 1, dtype=torch.int64), torch.zeros(4))
>>> q.shape, net[0].weight.grad.shape
(torch.Size([4]), torch.Size([8, 3]))
"""

from __future__ import annotations

__all__ = ["GradientStep"]

_ALIGN = 16  # float32 elements in 64 bytes


class GradientStep:
    """One gradient step of the loss of an MLP's Q-values (``torch.nn.Sequential`` of Linear
    layers with ReLU between them, as :func:`qbaselines.dqn._mlp` builds) on batches of
    ``batch_size``; call it under ``torch.no_grad()``.

    Building it gives every parameter of ``net`` a ``.grad`` that each call overwrites (so the
    optimizer never needs ``zero_grad``): views of one flat tensor, :attr:`flat_grad`, each
    starting on a 64-byte boundary as a tensor of its own would (the vectorized optimizer
    then computes what it computes for separate tensors); the padding stays 0.
    """

    def __init__(self, torch, net, *, batch_size: int, loss: str) -> None:
        self._torch = torch
        linear = [m for m in net if isinstance(m, torch.nn.Linear)]
        self.layers = [(m.weight, m.bias) for m in linear]
        params = [p for m in linear for p in (m.weight, m.bias)]
        device = params[0].device
        starts = [0]
        for p in params:
            starts.append(starts[-1] + -(-p.numel() // _ALIGN) * _ALIGN)
        self.flat_grad = torch.zeros(starts[-1], device=device)
        for p, start in zip(params, starts):
            p.grad = self.flat_grad[start : start + p.numel()].view_as(p)
        self._grads = [(w.grad, b.grad) for w, b in self.layers]
        self._flat_list = [p.grad for p in params]
        self._outputs = [torch.empty(batch_size, w.shape[0], device=device) for w, _ in self.layers]
        self._deltas = [torch.empty_like(out) for out in self._outputs]
        self._huber = loss == "huber"
        self._norm = (1.0 if self._huber else 2.0) / batch_size  # d(mean)/d(element), as the loss kernels scale it

    def __call__(self, x, actions, target):
        """Set the parameters' ``.grad`` to the loss gradient on the batch ``x`` (B, inputs)
        with ``actions`` (B, 1) int64 and TD ``target`` (B,); returns ``q`` (B,), the
        Q-values of the taken actions (for the loss)."""
        torch = self._torch
        last = len(self.layers) - 1
        h = x
        for i, (w, b) in enumerate(self.layers):  # z = h W^T + b, h' = relu(z) in place
            h = torch.addmm(b, h, w.t(), out=self._outputs[i])
            if i < last:
                torch.relu_(h)
        q = h.gather(1, actions).squeeze(1)
        d = q - target
        grad_q = (d.clamp_(-1.0, 1.0) if self._huber else d).mul_(self._norm)
        dz = self._deltas[last].zero_().scatter_add_(1, actions, grad_q.unsqueeze(1))
        for i in range(last, -1, -1):
            below = x if i == 0 else self._outputs[i - 1]
            weight_grad, bias_grad = self._grads[i]
            torch.mm(dz.t(), below, out=weight_grad)
            torch.sum(dz, 0, out=bias_grad)
            if i:  # relu's gradient: pass dz W where the layer below was active
                dz = torch.mm(dz, self.layers[i][0], out=self._deltas[i - 1])
                torch.ops.aten.threshold_backward.grad_input(dz, below, 0.0, grad_input=dz)
        return q

    def clip_grad_norm(self, max_norm: float) -> None:
        """Scale the gradients so their global 2-norm is at most ``max_norm``, computed as
        ``torch.nn.utils.clip_grad_norm_`` does (the norm of the per-tensor norms), with no
        host sync."""
        torch = self._torch
        total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in self._flat_list]))
        self.flat_grad.mul_(torch.clamp(max_norm / (total + 1e-6), max=1.0))
