"""Asset factories, one module per stage group."""
