"""Small numba kernels of the step ``move`` (``process_movement``) and their NumPy twins (the test
oracles, ``tests/unit/test_route_kernels.py``): the places where travellers stop today.

(Setting the thread count inside a compiled wrapper of ``kernels.move_day`` would save two
Python calls a day, but numba cannot cache a function that calls ``get_num_threads``: every
process would compile it again.)"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt


@nb.njit(cache=True)
def stop_places(is_transit, open_today, svc_loc, n_loc):  # type: ignore[no-untyped-def]
    """Places where travellers stop today: those with an open asylum or visa office."""
    stop = np.zeros(n_loc, dtype=np.bool_)
    for s in range(is_transit.shape[0]):
        if is_transit[s] and open_today[s]:
            stop[svc_loc[s]] = True
    return stop


def stop_places_np(
    is_transit: npt.NDArray[np.bool_],
    open_today: npt.NDArray[np.bool_],
    svc_loc: npt.NDArray[np.int32],
    n_loc: int,
) -> npt.NDArray[np.bool_]:
    """NumPy twin of :func:`stop_places`."""
    stop = np.zeros(n_loc, dtype=bool)
    stop[svc_loc[is_transit & open_today]] = True
    return stop
