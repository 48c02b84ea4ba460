"""A counter-based random stream: every number is a pure function of its key.

``uniform(seed, stream, day, agent, k)`` hashes a 64-bit counter built from the key with the
SplitMix64 finaliser (Steele, Lea & Flood, "Fast splittable pseudorandom number generators",
OOPSLA 2014; the finaliser is Stafford's "Mix13"). Because no state is carried from one draw to
the next, the draw an agent gets does not depend on which thread handles it, on the order in which
agents are processed, or on the backend; and two scenarios that share a seed share every draw that
both make (common random numbers).

Key layout of the counter: ``day`` (24 bits) | ``agent`` (32 bits) | ``k`` (8 bits), mixed with a
per-(seed, stream) key. ``k`` numbers the draws one agent makes on one day in one stream.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TWO_M53 = 1.0 / 9007199254740992.0  # 2**-53
_MASK64 = (1 << 64) - 1

# Named streams (one per kind of decision) so that adding a draw to one rule never shifts another.
STREAM_MOVE = 1
STREAM_ROUTE = 2
STREAM_TRAVEL = 3
STREAM_SPAWN = 4
STREAM_ATTRIBUTES = 5
STREAM_SINK = 6
STREAM_CONFLICT_SPAWN = 7
STREAM_SERVICES = 1 << 16  # service s draws from stream STREAM_SERVICES + s (engine.services)
# the corridor rules (corredor.rules.corridor): one stream per kind of draw
STREAM_CORRIDOR_DEPART = 101  # departure counts (a Philox generator seeded from this key)
STREAM_CORRIDOR_GROUP = 102  # demographic group of a new agent
STREAM_CORRIDOR_DECIDE = 103  # decisions at a place (apply, border choice, give up)
STREAM_CORRIDOR_ROUTE = 104  # next link, border city headed for
STREAM_CORRIDOR_ENFORCE = 105  # apprehension
STREAM_CORRIDOR_VERBS = 106  # what follows an outcome verb (re-attempt, delay, screening, settle)
STREAM_CORRIDOR_HARM = 107  # harm on a link


@nb.njit(inline="always", cache=True)
def mix64(z: np.uint64) -> np.uint64:
    """SplitMix64 finaliser (a bijection on 64-bit integers with full avalanche)."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@nb.njit(inline="always", cache=True)
def stream_key(seed: int, stream: int) -> np.uint64:
    """The key of one (seed, stream) pair."""
    s = mix64(np.uint64(seed) * _GOLDEN + np.uint64(0x632BE59BD9B4E019))
    return mix64(s ^ (np.uint64(stream) * _GOLDEN))


@nb.njit(inline="always", cache=True)
def uniform_k(key: np.uint64, day: int, agent: int, k: int) -> float:
    """A U[0, 1) double for (key, day, agent, k)."""
    c = (np.uint64(day) << np.uint64(40)) | (np.uint64(agent) << np.uint64(8)) | np.uint64(k)
    z = mix64(key + c * _GOLDEN)
    # z >> 11 < 2**53 fits a signed integer: the signed conversion is exact and much cheaper
    return float(np.int64(z >> np.uint64(11))) * _TWO_M53


@nb.njit(cache=True)
def uniform(seed: int, stream: int, day: int, agent: int, k: int) -> float:
    """A U[0, 1) double that depends only on its arguments."""
    return uniform_k(stream_key(seed, stream), day, agent, k)


@nb.njit(cache=True)
def uniform_many(key: np.uint64, day: int, agents: npt.NDArray[np.int64], k: int) -> np.ndarray:
    """:func:`uniform_k` of every agent in ``agents`` (one draw index ``k``): what
    :func:`uniform_from_key_np` gives, bit for bit, in one pass instead of a dozen NumPy
    passes with their temporaries (the processes draw like this a few dozen times a day)."""
    out = np.empty(agents.shape[0])
    for i in range(agents.shape[0]):
        out[i] = uniform_k(key, day, agents[i], k)
    return out


# ---------------------------------------------------------------- NumPy twin (test oracle)
def _mix64_np(z: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def stream_key_np(seed: int, stream: int) -> np.uint64:
    """NumPy twin of :func:`stream_key` (negative ints wrap modulo 2**64, as in numba)."""
    seed_u = np.uint64(int(seed) & _MASK64)
    stream_u = np.uint64(int(stream) & _MASK64)
    with np.errstate(over="ignore"):
        s = _mix64_np(np.array([seed_u * _GOLDEN + np.uint64(0x632BE59BD9B4E019)]))
        return np.uint64(_mix64_np(s ^ (stream_u * _GOLDEN))[0])


def uniform_np(
    seed: int,
    stream: int,
    day: int,
    agents: npt.ArrayLike,
    k: int | npt.ArrayLike = 0,
) -> npt.NDArray[np.float64]:
    """Vectorised twin of :func:`uniform` over an array of agent ids (and draw indices)."""
    return uniform_from_key_np(stream_key_np(seed, stream), day, agents, k)


def uniform_from_key_np(
    key: np.uint64,
    day: int,
    agents: npt.ArrayLike,
    k: int | npt.ArrayLike = 0,
) -> npt.NDArray[np.float64]:
    """Vectorised twin of :func:`uniform_k` (a precomputed stream key)."""
    a = np.asarray(agents, dtype=np.uint64)
    kk = np.asarray(k, dtype=np.uint64)
    c = (np.uint64(day) << np.uint64(40)) | (a << np.uint64(8)) | kk
    with np.errstate(over="ignore"):
        z = _mix64_np(np.uint64(key) + c * _GOLDEN)
    return (z >> np.uint64(11)).astype(np.float64) * _TWO_M53
