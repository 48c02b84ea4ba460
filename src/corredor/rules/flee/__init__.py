"""The Flee 3.1-compatible rule set: state, routes, the numba kernels and their twin, the
processes of a Flee day (docs/flee-compatibility.md)."""
