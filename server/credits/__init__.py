"""Learning credits (学时): rules turn participation into awards on a hash-chained ledger;
yearly certificates are signed; reports compare progress with each role's target."""
