"""Rule sets: what happens to agents each day. ``rules.flee`` is Flee 3.1's movement and
spawning; ``rules.corridor`` the corridor model's processes. The two are independent."""
