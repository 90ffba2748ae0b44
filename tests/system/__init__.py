"""System tests: the whole Live Studio stack on one machine, checked against the simulator's ground truth."""
