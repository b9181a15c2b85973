"""A committee's people: the tree of its organizations, the accounts in it and what an
administrator does to them, and branch rosters imported from spreadsheets."""
