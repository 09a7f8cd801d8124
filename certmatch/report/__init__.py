"""Report rendering for people: plain text, and the openssl commands that confirm a result."""
