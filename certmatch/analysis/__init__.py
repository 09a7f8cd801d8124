"""Analysis: pairing by key, the server certificate and its chain, the requested-vs-issued diff,
and the context every rule reads."""
