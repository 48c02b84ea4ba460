"""The corridor model's rules: the compiled scenario, the processes of a day (departures,
movement, enforcement, services and verbs, decisions at the border, settlement), their kernels
and twins (docs/model.md)."""
