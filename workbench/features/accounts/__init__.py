"""People and accountability as staff use them: `workbench users` and `workbench audit` (the stores themselves are
workbench.records.accounts, .sign_in and .audit)."""
