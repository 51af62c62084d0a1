"""Stock: what is on hand, what open checkouts hold, and every change with its reason."""
