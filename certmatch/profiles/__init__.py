"""Profiles: named rule sets that restate and extend the generic findings for one kind of server."""
