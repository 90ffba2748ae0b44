"""The ingest service: Shopee accounts and their encrypted credentials, the poll schedule and poll state.

It polls Shopee (or the simulator) for every account it owns and publishes session, item and account events.
"""
