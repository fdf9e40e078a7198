"""Property tests: under any sequence of operations, hopping probabilities stay finite and
sum to 1 and every h stays positive (negative rewards included)."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ps_graph import ECM

ops = st.lists(
    st.one_of(
        st.tuples(st.just("percept"), st.integers(0, 5)),
        st.tuples(st.just("hidden"), st.integers(0, 3)),
        st.tuples(st.just("walk"), st.integers(0, 5), st.floats(-50, 50, allow_nan=False)),
        st.tuples(
            st.just("reset"),
        ),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(
    ops=ops,
    gamma=st.floats(0, 1),
    eta=st.floats(0.01, 1),
    policy=st.sampled_from(["standard", "softmax"]),
    beta=st.floats(0.01, 20),
    glow=st.sampled_from(["replace", "accumulate"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_probabilities_finite_normalized_and_h_positive(ops, gamma, eta, policy, beta, glow, seed):
    ecm = ECM(gamma_damping=gamma, eta_glow_damping=eta, policy=policy, beta_softmax=beta, glow=glow)
    rng = np.random.default_rng(seed)
    actions = [("a", i) for i in range(3)]
    for a in actions:
        ecm.add_action(a)
    hidden = []
    for op in ops:
        if op[0] == "percept":
            p = ("p", op[1])
            ecm.add_percept(p)
            ecm.connect(p, actions + hidden)
        elif op[0] == "hidden":
            x = ("x", op[1])
            if x not in ecm:
                ecm.add_hidden(x, 1)
                ecm.connect(x, actions)
                hidden.append(x)
                for p in ecm.clips("percept"):
                    ecm.connect(p, [x])
        elif op[0] == "walk":
            p = ("p", op[1])
            if p in ecm:
                ecm.decay_glow()
                ecm.excite(ecm.walk(p, rng))
                ecm.learn(op[2])
        else:
            ecm.reset_glow()
    for clip in ecm.clips():
        if ecm.kind(clip) == "action":
            continue
        probs = ecm.probabilities(clip)
        assert all(math.isfinite(p) and p >= 0 for p in probs.values())
        assert math.isclose(sum(probs.values()), 1.0, rel_tol=1e-9)
        for p in ecm.clips("percept"):
            assert math.isclose(sum(ecm.action_probabilities(p).values()), 1.0, rel_tol=1e-9)
    for _, _, d in ecm.graph.edges(data=True):
        assert d["h"] > 0 and math.isfinite(d["h"])
        assert d["glow"] >= 0 and math.isfinite(d["glow"])
