"""Customers: finding the one a person means, their card, and keeping one record per customer.

`matching` and `name_index` find names despite typos, `search` answers `/customer`, `lookup` serves the
typeahead, `card` gathers a customer's whole story, `curation` keeps the store clean (look-alikes, names,
contacts, stages, merges), and `imports` reads customers from CSV files.
"""
