"""What an operator's tools ask of a running process: health, readiness, metrics and logs."""
