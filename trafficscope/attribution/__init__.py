"""Who receives the data: registrable domain, owner, category, party, country."""

from .domains import PartyRules, app_domain, registrable_domain
from .geoip import geoip_info, open_geoip, public_ip
from .importers import load_owner_file
from .owners import Owner, OwnerDB, app_organisation, bundled
from .recipient import Attributor, Recipient, build_attributor

__all__ = [
    "Attributor", "Owner", "OwnerDB", "PartyRules", "Recipient", "app_domain",
    "app_organisation", "build_attributor", "bundled", "geoip_info", "load_owner_file",
    "open_geoip", "public_ip", "registrable_domain",
]
