"""Usage-based minimizer: proposals scoped to observed usage, proved by the engine to grant
nothing new (proof a) and to allow every observed call (proof b). See docs/minimize.md."""
