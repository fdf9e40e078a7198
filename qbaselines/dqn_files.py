"""The file format behind :meth:`DQNAgent.save` and :meth:`DQNAgent.load`: a torch file of weights only.

Loading reads with ``torch.load(weights_only=True)`` (nothing in the file is ever executed)
and checks every field and tensor before anything reaches the agent, as the JSON agent files
of :mod:`ps_graph.fileformat` are checked: any problem is one
:class:`~ps_graph.errors.FileFormatError` ``"cannot load <path>: <what is wrong>"``.

File layout (version 2), a dict written with ``torch.save``::

    format             "qbaselines.DQNAgent"
    version            2 (version 1 files, which lack the two spaces, load too)
    config             JSON text: DQNConfig.to_dict()
    actions            JSON text: the action values, e.g. [0, 1]
    observation_space  JSON text: the space as ps_graph.fileformat.space_to_json writes it;
                       a Box (also inside a Tuple or Dict) as {"type": "Box", "shape": [4]}
    q_net, target_net  the networks' state dicts (see qbaselines.dqnconfig.layer_shapes):
                       float32 tensors "0.weight" (width, inputs), "0.bias" (width,), "2.weight",
                       ...; finite, at most MAX_WEIGHT in magnitude
    state              JSON text: num_timesteps and num_updates (64-bit integers >= 0), rng
                       (the numpy bit generator state)

The file's actions and observation space must be the env's (version 1 files: the tensors'
input and output sizes must fit it). The replay buffer and the optimizer state are not saved.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gymnasium import spaces

from ps_graph import fileformat
from ps_graph.checks import check_str, fail, show
from ps_graph.errors import ConfigError, FileFormatError, PSGraphError
from ps_graph.files import atomic_write_bytes
from ps_graph.percepts import action_list

from . import dqnconfig
from .dqn_inputs import observation_encoder
from .dqnconfig import DQNConfig, layer_shapes

if TYPE_CHECKING:
    from .dqn import DQNAgent

__all__ = ["FORMAT", "MAX_WEIGHT", "VERSION", "load_agent", "save_agent", "space_signature"]

#: The ``format`` marker of a saved DQNAgent.
FORMAT = "qbaselines.DQNAgent"
#: The file layout version written; files of versions 1 .. VERSION load.
VERSION = 2
#: The largest weight or bias magnitude a file may hold: a trained DQN's are far smaller, and
#: larger ones (an edited file or a diverged run) overflow float32 in a few layers.
MAX_WEIGHT = 1e6
_NETS = ("q_net", "target_net")


def space_signature(space) -> Any:
    """What a file records of an observation space (JSON): what the network depends on, so a
    Box by its shape only (its bounds do not change the network).

    >>> space_signature(spaces.Tuple((spaces.Box(0, 1, (2,)), spaces.Discrete(3))))["spaces"][0]
    {'type': 'Box', 'shape': [2]}
    """
    if isinstance(space, spaces.Box):
        return {"type": "Box", "shape": list(space.shape)}
    if isinstance(space, spaces.Tuple):
        return {"type": "Tuple", "spaces": [space_signature(s) for s in space.spaces]}
    if isinstance(space, spaces.Dict):
        return {"type": "Dict", "spaces": [[str(k), space_signature(s)] for k, s in space.spaces.items()]}
    return fileformat.space_to_json(space)


def _dumps(value) -> str:
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


# ---------------------------------------------------------------------- saving
def save_agent(agent: DQNAgent, path) -> Path:
    """Write ``agent`` to ``path`` (see the module docstring); refuses a network that is not
    finite or beyond :data:`MAX_WEIGHT` (such a file would not load)."""
    path = fileformat.check_path(path)
    try:
        nets = {name: {k: t.detach().cpu() for k, t in getattr(agent, name).state_dict().items()} for name in _NETS}
        for name, tensors in nets.items():
            for key, tensor in tensors.items():
                _check_values(f"{name}[{key!r}]", tensor)
        payload = {
            "format": FORMAT,
            "version": VERSION,
            "config": _dumps(agent.config.to_dict()),
            "actions": _dumps([int(a) for a in agent.actions]),
            "observation_space": _dumps(space_signature(agent.observation_space)),
            **nets,
            "state": _dumps(
                {
                    "num_timesteps": int(agent.num_timesteps),
                    "num_updates": int(agent.num_updates),
                    "rng": fileformat.rng_to_json(agent.rng),
                }
            ),
        }
    except (PSGraphError, ValueError) as err:
        raise PSGraphError(f"cannot save the DQN agent to {path}: {err}") from None
    buf = io.BytesIO()
    agent._torch.save(payload, buf)
    return atomic_write_bytes(path, buf.getvalue())


# ---------------------------------------------------------------------- loading
def load_agent(cls: type[DQNAgent], torch, path, actions, observation_space) -> DQNAgent:
    """The agent :func:`save_agent` wrote to ``path``, as ``cls`` (with the ``torch`` module), for the given spaces."""
    obs_dim, _ = observation_encoder(observation_space)  # the spaces' own errors come as they are
    values = action_list(actions)

    def read(data: bytes) -> DQNAgent:
        payload = _unpickle(torch, data)
        return _from_payload(cls, torch, payload, (actions, values), (observation_space, obs_dim))

    # a file over the memory budget cannot hold an agent the budget allows
    return fileformat.load_file(path, read, "DQN agent file", max_bytes=dqnconfig.MEMORY_BUDGET)


def _unpickle(torch, data: bytes):
    if data[:64].lstrip()[:1] == b"{":
        raise FileFormatError(
            "this is a JSON file, not a saved DQNAgent (a torch file); load PS agent files with "
            "ps_graph.load(path) and Q-learning ones with qbaselines.QLearningAgent.load(path)."
        )
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as err:  # whatever the damaged bytes make torch raise, it is the same problem
        raise FileFormatError(
            f"it is not a saved DQNAgent: it could not be read as a torch file of weights only "
            f"({type(err).__name__}). Only files written by DQNAgent.save load; nothing in the file was executed."
        ) from None


def _json(where: str, value):
    """The JSON document in the text field ``where``."""
    text = check_str(where, value)
    try:
        return fileformat.parse_json(text.encode("utf-8", "surrogatepass"))
    except PSGraphError as err:
        raise ConfigError(f"{where} is not valid JSON text: {err}") from None


def _check_spaces(top, expected: dict) -> None:
    """The file's ``actions`` and ``observation_space`` must be ``expected``'s (the env's)."""
    found = {name: _json(name, top[name]) for name in expected}
    differ = [name for name in expected if found[name] != expected[name]]
    if differ:
        detail = "; ".join(
            f"{name}: the file's is {show(_dumps_any(found[name]))}, the env's {show(_dumps_any(expected[name]))}"
            for name in differ
        )
        raise ConfigError(
            f"{' and '.join(differ)} {'differ' if len(differ) > 1 else 'differs'} from the env's ({detail}); "
            "load it with the env it was trained on."
        )


def _dumps_any(value) -> str:
    try:
        return json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def _from_payload(cls, torch, payload, actions, observations) -> DQNAgent:
    (action_space, values), (observation_space, obs_dim) = actions, observations
    if isinstance(payload, dict) and "format" not in payload:
        raise FileFormatError(f"it is a torch file but not a saved DQNAgent: it has no 'format' field ({FORMAT!r}).")
    top, version = fileformat.check_header(payload, FORMAT, VERSION, "a saved DQNAgent", "qbaselines")
    spaces_fields = ("actions", "observation_space") if version >= 2 else ()
    fileformat.check_object("the file", top, ("config", *_NETS, "state", *spaces_fields))
    config = fileformat.config_from_json(DQNConfig, _json("config", top["config"]), "DQN")
    if version >= 2:
        _check_spaces(
            top, {"observation_space": space_signature(observation_space), "actions": [int(a) for a in values]}
        )
    sizes = [obs_dim, *config.net_arch, len(values)]
    nets = {name: _check_net(torch, name, top[name], sizes, config) for name in _NETS}
    state = fileformat.check_object("state", _json("state", top["state"]), ("num_timesteps", "num_updates", "rng"))
    num_timesteps = fileformat.check_int64("state.num_timesteps", state["num_timesteps"])
    num_updates = fileformat.check_int64("state.num_updates", state["num_updates"])
    rng = fileformat.rng_from_json(state["rng"])
    try:
        agent = cls(action_space, observation_space, config=config)
    except PSGraphError as err:
        raise ConfigError(f"config: {err}") from None
    for name, tensors in nets.items():
        getattr(agent, name).load_state_dict(tensors)
    agent._np_layers = None
    agent.num_timesteps, agent.num_updates, agent.rng = num_timesteps, num_updates, rng
    return agent


def _check_net(torch, where: str, value, sizes: list[int], config: DQNConfig) -> dict:
    """The state dict ``value`` of the network of layer ``sizes``: the tensors of
    :func:`~qbaselines.dqnconfig.layer_shapes`, float32, of their shapes, finite and bounded."""
    expected = layer_shapes(sizes)
    if not isinstance(value, dict):
        raise fail(where, "a state dict (tensors by name)", type(value).__name__)
    if set(value) != set(expected):
        raise ConfigError(
            f"{where} holds the tensors {show(sorted(map(str, value)))}; a network with net_arch "
            f"{list(config.net_arch)} has {show(list(expected))}."
        )
    last = f"{2 * (len(sizes) - 2)}."  # the output layer's tensors
    for key, shape in expected.items():
        at, tensor = f"{where}[{key!r}]", value[key]
        if not isinstance(tensor, torch.Tensor) or tensor.dtype != torch.float32 or tensor.layout != torch.strided:
            found = f"a {tensor.dtype} tensor" if isinstance(tensor, torch.Tensor) else type(tensor).__name__
            raise ConfigError(f"{at} must be a dense float32 tensor; got {found}.")
        found_shape = tuple(tensor.shape)
        if found_shape != shape:
            raise ConfigError(
                f"{at} has shape {found_shape}, expected {shape}{_shape_hint(key, found_shape, sizes, last)}."
            )
        _check_values(at, tensor)
    return value


def _shape_hint(key: str, found: tuple, sizes: list[int], last: str) -> str:
    """Which space the tensor's shape says differs, if one does."""
    if key == "0.weight" and len(found) == 2 and found[1] != sizes[0]:
        return (
            f": the network takes {found[1]} inputs but the env's observations encode to {sizes[0]}, so the file was "
            "saved for another observation space; load it with the env it was trained on"
        )
    if key.startswith(last) and found and found[0] != sizes[-1]:
        return (
            f": the network values {found[0]} actions but the env has {sizes[-1]}; load it with the env it was "
            "trained on"
        )
    return " (from config.net_arch and the env's spaces)"


def _check_values(at: str, tensor) -> None:
    if not bool(tensor.isfinite().all()):
        raise ConfigError(f"{at} holds NaN or infinite values: the network is damaged (or diverged when saved).")
    largest = float(tensor.abs().max()) if tensor.numel() else 0.0
    if largest > MAX_WEIGHT:
        raise ConfigError(
            f"{at} holds a value of magnitude {largest:.3g}, over MAX_WEIGHT={MAX_WEIGHT:g}: the network diverged "
            "or the file was edited."
        )
