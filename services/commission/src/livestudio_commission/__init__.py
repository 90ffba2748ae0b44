"""Live Studio commission service: roster, attribution of sales to hosts, pay rules and the statement ledger."""
