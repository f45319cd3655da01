"""pcap and pcapng captures: records -> links -> ip -> tcp/udp -> http1/dns/tls/quic/dhcp -> flows.

`read_pcap(path)` (in `reader`) is the entry point.
"""
