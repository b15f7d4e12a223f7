"""autodiscover-dns: Mailprotector Autodiscover SRV records as an octoDNS plugin.

The policy lives in :mod:`providers.processor`; the embedded zone-file backend
in :mod:`providers.zonefile`; provider adaptations beside octoDNS's own.
"""
