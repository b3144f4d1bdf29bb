"""Orders (tenant database): prescriptions and laboratory orders with their results."""
