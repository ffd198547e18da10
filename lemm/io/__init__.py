"""Writing files and song folders safely (atomic writes)."""
