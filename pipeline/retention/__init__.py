"""Keeping less: the retention policy (`policy`: what of a session goes when; `sweep`: the daily sweep that deletes
it, a hold per session, the ledger) and forgetting a person across a series (`forget`)."""
