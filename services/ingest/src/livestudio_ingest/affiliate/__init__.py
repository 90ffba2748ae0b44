"""Reading each account's affiliate commission report and publishing its checkouts (issue #21).

`schedule` (pure: which purchase windows to read when), `mapping` (pure: Shopee's checkout to the contract's
event, fingerprint, id), `repository` (its SQL: read state and published fingerprints), `settings`
(`INGEST_AFFILIATE_*`), `driver` (the loop over the accounts this replica polls).
"""
