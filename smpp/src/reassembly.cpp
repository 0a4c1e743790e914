// Filled in by the component owner.
