"""Customer 360 for lenders: settings, the command line and stage composition."""
