"""The policy core: ownership, declarations, catalog, policy, errors.

Pure: no network, no octoDNS Manager.
"""
