"""Who receives the data: registrable domain, party, (later) owner and country."""

from .domains import PartyRules, app_domain, registrable_domain

__all__ = ["PartyRules", "app_domain", "registrable_domain"]
