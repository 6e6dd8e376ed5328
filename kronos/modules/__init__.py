"""Domain modules. Each imports ``kronos.kit`` and other modules' services, never their repositories."""
