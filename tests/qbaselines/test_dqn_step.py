"""DQN's hand-written gradient step against autograd, and the agent's round against the textbook loop."""

import numpy as np
import pytest
import torch

from qbaselines.dqn import _mlp
from qbaselines.dqn_step import GradientStep


def autograd_grads(net, x, actions, target, loss):
    net.zero_grad(set_to_none=True)
    q = net(x).gather(1, actions).squeeze(1)
    loss_fn = torch.nn.functional.smooth_l1_loss if loss == "huber" else torch.nn.functional.mse_loss
    loss_fn(q, target).backward()
    return [p.grad.clone() for p in net.parameters()], q.detach()


@pytest.mark.parametrize("loss", ["huber", "mse"])
@pytest.mark.parametrize(("sizes", "batch"), [([4, 32, 2], 16), ([16, 10, 4], 8), ([3, 7, 5, 6, 3], 13)])
def test_the_gradients_equal_autograds_bit_for_bit(loss, sizes, batch):
    gen = torch.Generator().manual_seed(sum(sizes) + batch)
    torch.manual_seed(batch)
    net = _mlp(torch, sizes)
    x = torch.randn(batch, sizes[0], generator=gen)
    if sizes[0] == 16:  # one-hot rows, as DQN encodes Discrete observations
        x = torch.nn.functional.one_hot(torch.randint(16, (batch,), generator=gen), 16).float()
    actions = torch.randint(sizes[-1], (batch, 1), generator=gen)
    target = 3 * torch.randn(batch, generator=gen)  # |q - target| on both sides of Huber's 1
    expected, expected_q = autograd_grads(net, x, actions, target, loss)
    step = GradientStep(torch, net, batch_size=batch, loss=loss)
    with torch.no_grad():
        q = step(x, actions, target)
    assert torch.equal(q, expected_q)
    for got, want in zip((p.grad for p in net.parameters()), expected):
        assert torch.equal(got, want)


def test_clipping_scales_to_the_global_norm_as_torch_does():
    torch.manual_seed(0)
    net, twin = _mlp(torch, [3, 5, 2]), _mlp(torch, [3, 5, 2])
    twin.load_state_dict(net.state_dict())
    step = GradientStep(torch, net, batch_size=4, loss="mse")
    x, actions, target = torch.randn(4, 3), torch.zeros(4, 1, dtype=torch.int64), torch.full((4,), 50.0)
    with torch.no_grad():
        step(x, actions, target)
    autograd_grads(twin, x, actions, target, "mse")
    for max_norm in (0.5, 10.0, 1e6):  # clipped, then (norm 0.5 now) twice left as it is
        before = float(torch.linalg.vector_norm(step.flat_grad))
        torch.nn.utils.clip_grad_norm_(twin.parameters(), max_norm)
        step.clip_grad_norm(max_norm)
        for p, q in zip(net.parameters(), twin.parameters()):
            assert torch.equal(p.grad, q.grad)
        assert float(torch.linalg.vector_norm(step.flat_grad)) == pytest.approx(min(before, max_norm), rel=1e-5)


def reference_round(agent, twin, optimizer, gradient_steps, rng):
    """The textbook round with autograd: targets, Huber loss, backward, clip_grad_norm_, Adam."""
    c = agent.config
    batch = [torch.as_tensor(x) for x in agent.buffer.sample(gradient_steps * c.batch_size, rng)]
    for g in range(gradient_steps):
        obs, actions, rewards, next_obs, terminated = (x[g * c.batch_size : (g + 1) * c.batch_size] for x in batch)
        with torch.no_grad():
            target = rewards + c.gamma * (1 - terminated) * agent.target_net(next_obs).max(1).values
        q = twin(obs).gather(1, actions.unsqueeze(1)).squeeze(1)
        optimizer.zero_grad()
        torch.nn.functional.smooth_l1_loss(q, target).backward()
        torch.nn.utils.clip_grad_norm_(twin.parameters(), c.max_grad_norm)
        optimizer.step()


def test_a_training_round_is_the_textbook_round_bit_for_bit():
    import copy

    import gymnasium as gym

    from qbaselines import DQNAgent

    env = gym.make("CartPole-v1")
    agent = DQNAgent.for_env(env, net_arch=[24, 16], batch_size=10, learning_rate=0.05, max_grad_norm=0.5, seed=1)
    rng = np.random.default_rng(0)
    for _ in range(200):
        agent.buffer.add(rng.normal(size=4), int(rng.integers(2)), rng.normal(), rng.normal(size=4), rng.random() < 0.1)
    twin = copy.deepcopy(agent.q_net)
    optimizer = torch.optim.Adam(twin.parameters(), lr=agent.config.learning_rate, fused=True)
    for _ in range(3):
        reference_round(agent, twin, optimizer, 7, copy.deepcopy(agent.rng))
        agent.train_round(7)
        for p, q in zip(agent.q_net.parameters(), twin.parameters()):
            assert torch.equal(p, q)
