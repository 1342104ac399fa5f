"""Customers: finding the one a person means, their card, and keeping one record per customer.

`matching` is the one matcher of `/log`, `/customer` and the typeahead (names despite typos, legal forms,
`&`/`and`, possessives) and `name_index` keeps its index caught up, `search` answers `/customer`, `lookup`
serves the typeahead, `card` gathers a customer's whole story, `curation` keeps the store clean (look-alikes,
names, contacts, stages, merges), `imports` reads customers from CSV files and `exports` writes them back.
"""
