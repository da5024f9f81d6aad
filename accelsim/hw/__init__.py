"""Hardware component models: pim/, core/, noc, memory."""
