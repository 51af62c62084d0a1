"""The tie-ins: answers recommend products (with the doctor's note), and sales are credited
to the answers that led to them."""
