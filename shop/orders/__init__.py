"""Orders: what was bought (snapshotted), its money, and where it is in its life."""
