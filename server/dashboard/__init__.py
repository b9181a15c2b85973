"""The committee's dashboard (党建驾驶舱): each branch's 学时 and participation against the
pace the yearly target needs, members at risk, the monthly trend and the exhibits most
visited, aggregated by the database."""
